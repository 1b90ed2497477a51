/** The parts of npm `ndef` (0.2, CommonJS, untyped) the NFC tests cross-check against. */
declare module "ndef" {
  interface NpmNdefRecord {
    tnf: number;
    type: string;
    id: number[];
    payload: number[];
    value?: string;
  }
  const ndef: {
    record(tnf: number, type: string | number[], id: number[], payload: number[] | string): NpmNdefRecord;
    textRecord(text: string, languageCode?: string): NpmNdefRecord;
    uriRecord(uri: string): NpmNdefRecord;
    mimeMediaRecord(mimeType: string, payload: number[]): NpmNdefRecord;
    absoluteUriRecord(uri: string, payload?: number[]): NpmNdefRecord;
    encodeMessage(records: NpmNdefRecord[]): number[];
    decodeMessage(bytes: number[] | Buffer): NpmNdefRecord[];
    text: { decodePayload(payload: number[]): string };
    uri: { decodePayload(payload: number[]): string };
  };
  export default ndef;
}
