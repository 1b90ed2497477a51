/**
 * The "crypt" module's Digest (documentation/crypt/crypt.md in the Moddable SDK), for
 * `tsc -p tsconfig.device.json`: @moddable/typings 5.6.0 does not declare "crypt".
 *
 * Deliberately not referenced from any module: under mcconfig the SDK's own typings/crypt.d.ts
 * declares "crypt" (with this same shape) and a second declaration would collide. Keep the two
 * identical; if @moddable/typings gains "crypt", delete this file.
 */
declare module "crypt" {
  type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";

  export class Digest {
    constructor(type: DigestType);
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    get blockSize(): number;
    get outputSize(): number;
    update(message: string | ArrayBuffer): void;
  }
}
