/**
 * Types for the parts of the dns-packet package (5.x, plain JavaScript) the cluster DNS uses.
 */
declare module 'dns-packet' {
  export type RecordType = 'A' | 'AAAA' | 'SRV' | 'PTR' | 'CNAME' | 'TXT' | 'SOA' | 'NS' | 'OPT' | string;

  export interface Question {
    name: string;
    type: RecordType;
    class?: string;
  }

  export interface SrvData {
    priority?: number;
    weight?: number;
    port: number;
    target: string;
  }

  export interface SoaData {
    mname: string;
    rname: string;
    serial?: number;
    refresh?: number;
    retry?: number;
    expire?: number;
    minimum?: number;
  }

  export interface Answer {
    name: string;
    type: RecordType;
    class?: string;
    ttl?: number;
    data?: string | SrvData | SoaData | Buffer | (string | Buffer)[] | unknown;
    /** OPT pseudo-records only. */
    udpPayloadSize?: number;
    extendedRcode?: number;
    ednsVersion?: number;
    flags?: number;
    options?: unknown[];
  }

  export interface Packet {
    type?: 'query' | 'response';
    id?: number;
    flags?: number;
    questions?: Question[];
    answers?: Answer[];
    authorities?: Answer[];
    additionals?: Answer[];
  }

  export interface DecodedPacket extends Packet {
    type: 'query' | 'response';
    id: number;
    flags: number;
    opcode: string;
    rcode: string;
    flag_rd: boolean;
    flag_tc: boolean;
    flag_aa: boolean;
    questions: Question[];
    answers: Answer[];
    authorities: Answer[];
    additionals: Answer[];
  }

  interface DnsPacketModule {
    encode(packet: Packet): Buffer;
    decode(buf: Buffer): DecodedPacket;
    streamEncode(packet: Packet): Buffer;
    encodingLength(packet: Packet): number;
    readonly AUTHORITATIVE_ANSWER: number;
    readonly TRUNCATED_RESPONSE: number;
    readonly RECURSION_DESIRED: number;
    readonly RECURSION_AVAILABLE: number;
  }

  const dnsPacket: DnsPacketModule;
  export default dnsPacket;
}
