import { modelDoc, parseModelDeclaration } from './model-docs.js';

const declaration = `
import { V1Widget } from '../models/V1Widget.js';
/**
* ListMeta describes metadata that synthetic resources must have.
*/
export declare class V1ListMeta {
    /**
    * continue may be set if the user set a limit on the number of items returned.
    */
    '_continue'?: string;
    /**
    * Number of items remaining.
    */
    'remainingItemCount'?: number;
    'resourceVersion': string;
    static readonly discriminator: string | undefined;
    static readonly attributeTypeMap: Array<{
        name: string;
    }>;
}
`;

describe('model documentation from the client declarations', () => {
  it('reads the class comment, field comments, JSON names and required fields', () => {
    const doc = parseModelDeclaration(declaration, 'V1ListMeta');
    expect(doc?.description).toBe('ListMeta describes metadata that synthetic resources must have.');
    expect(doc?.fields.get('continue')).toEqual({
      description: 'continue may be set if the user set a limit on the number of items returned.',
      required: false,
    });
    expect(doc?.fields.get('remainingItemCount')?.description).toBe('Number of items remaining.');
    expect(doc?.fields.get('resourceVersion')).toEqual({ description: undefined, required: true });
    expect([...(doc?.fields.keys() ?? [])]).toEqual(['continue', 'remainingItemCount', 'resourceVersion']);
  });

  it('returns undefined when the class is not in the text', () => {
    expect(parseModelDeclaration(declaration, 'V1Other')).toBeUndefined();
  });

  it('reads the installed client files', () => {
    const doc = modelDoc('V1Container');
    expect(doc?.description).toMatch(/single application container/);
    expect(doc?.fields.get('name')?.required).toBe(true);
    expect(doc?.fields.get('image')?.required).toBe(false);
    expect(doc?.fields.get('image')?.description).toMatch(/Container image name/);
  });

  it.each(['V9Missing', '../../package', ''])('degrades to no documentation for %j', (model) => {
    expect(modelDoc(model)).toBeUndefined();
  });
});
