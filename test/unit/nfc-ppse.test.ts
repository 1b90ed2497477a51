/**
 * The PPSE directory (firmware/nfc/ppse.ts) from hand-written answers laid out as EMV Book 1
 * §12.3.2 shows them: the application a terminal would select, by priority; padding and long
 * lengths; and answers that are not a directory refused with what is wrong.
 */
import { describe, expect, it } from "@jest/globals";
import { NfcError } from "../../firmware/nfc/errors";
import { preferredApplication, selectPpse } from "../../firmware/nfc/ppse";

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();
const DF_NAME = "84 0E 325041592E5359532E4444463031";

describe("PPSE", () => {
  it("SELECT by the name 2PAY.SYS.DDF01", () => {
    const out = new Uint8Array(32);
    const length = selectPpse(out);
    expect(hexOf(out.subarray(0, length))).toBe("00A404000E325041592E5359532E444446303100");
  });

  it("one application", () => {
    const fci = bytes(`6F 23 ${DF_NAME} A5 11 BF0C 0E 61 0C 4F 07 A0000000031010 87 01 01`);
    expect(hexOf(preferredApplication(fci))).toBe("A0000000031010");
  });

  it("the highest priority wins, whatever the order; without priorities, the first", () => {
    const mastercardThenVisa = bytes(`6F 31 ${DF_NAME} A5 1F BF0C 1C 61 0C 4F 07 A0000000041010 87 01 02 61 0C 4F 07 A0000000031010 87 01 01`);
    expect(hexOf(preferredApplication(mastercardThenVisa))).toBe("A0000000031010");
    const unrankedThenRanked = bytes(`6F 2E ${DF_NAME} A5 1C BF0C 19 61 09 4F 07 A0000005241010 61 0C 4F 07 A0000000041010 87 01 0F`);
    expect(hexOf(preferredApplication(unrankedThenRanked))).toBe("A0000000041010");
    const unranked = bytes(`6F 2B ${DF_NAME} A5 19 BF0C 16 61 09 4F 07 A0000005241010 61 09 4F 07 A0000000041010`);
    expect(hexOf(preferredApplication(unranked))).toBe("A0000005241010");
  });

  it("labels, padding and a two-byte length form are read past", () => {
    const fci = bytes(`6F 81 2C ${DF_NAME} 00 A5 18 BF0C 15 61 13 4F 07 A0000005241010 50 05 5255504159 87 01 01 FF`);
    expect(hexOf(preferredApplication(fci))).toBe("A0000005241010");
  });

  it("answers that are not a directory with an application are refused, saying why", () => {
    const refusal = (hex: string) => {
      try {
        preferredApplication(bytes(hex));
      } catch (error) {
        expect(error).toBeInstanceOf(NfcError);
        return `${(error as NfcError).code}: ${(error as NfcError).message}`;
      }
      throw new Error("accepted");
    };
    expect(refusal(`6F 10 ${DF_NAME}`)).toBe("apdu: PPSE: no FCI proprietary template (tag A5)");
    expect(refusal(`6F 15 ${DF_NAME} A5 03 BF0C 00`)).toBe("apdu: PPSE: the directory names no application");
    expect(refusal(`6F 1C ${DF_NAME} A5 0A BF0C 07 61 05 4F 03 A00000`)).toBe("apdu: PPSE: a directory entry without an AID of 5-16 bytes");
    expect(refusal(`6F 40 ${DF_NAME}`)).toBe("apdu: PPSE: tag 6f declares 64 bytes, 16 follow");
    expect(refusal("")).toBe("apdu: PPSE: no FCI template (tag 6F)");
  });
});
