/**
 * Upstream's static token file (`--token-auth-file`): CSV lines `token,user,uid,"group1,group2"`.
 * As upstream, a line needs at least three columns, the groups column is optional, lines with an
 * empty token are skipped and a later duplicate token replaces an earlier one. Pure.
 */

export interface TokenUser {
  token: string;
  user: string;
  uid?: string;
  groups: string[];
}

/** One CSV record's fields, with RFC 4180 quoting (`"a,b"`, `""` for a quote) and leading spaces trimmed as Go's reader does with TrimLeadingSpace. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('extraneous or missing " in quoted-field');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error('extraneous or missing " in quoted-field');
    } else {
      const end = line.indexOf(',', i);
      field = end === -1 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new Error('bare " in non-quoted-field');
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

export function parseTokenFile(text: string, file: string): TokenUser[] {
  const byToken = new Map<string, TokenUser>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let record: string[];
    try {
      record = csvFields(line);
    } catch (err) {
      throw new Error(`token file '${file}' line ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
    if (record.length < 3)
      throw new Error(
        `token file '${file}' must have at least 3 columns (token, user name, user uid), found ${record.length}`,
      );
    const [token, user, uid, groups] = record;
    if (!token) return;
    byToken.set(token, {
      token,
      user,
      ...(uid ? { uid } : {}),
      groups: groups === undefined ? [] : groups.split(',').filter(Boolean),
    });
  });
  return [...byToken.values()];
}

/**
 * A token known only by its SHA-256 (hex), so the file the server reads never holds a usable
 * secret; the user as in `TokenUser`.
 */
export interface TokenHash {
  sha256: string;
  user: string;
  uid?: string;
  groups: string[];
}
