/**
 * The printable static QR for a merchant: a PNG of the code alone (for a print shop's artwork)
 * and a one-page PDF sticker, 100 x 150 mm, with the code drawn as vector squares, the merchant's
 * name and payment address. Error correction level Q (25%), since stickers get scratched and stained, and a
 * 4-module quiet zone as ISO/IEC 18004 asks. Both files are deterministic: the same merchant and
 * date give the same bytes, so reruns leave them untouched.
 */
import {
  concatTransformationMatrix,
  fill,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  rgb,
  setFillingGrayscaleColor,
  StandardFonts,
  type PDFFont,
} from "pdf-lib";
import { PNG } from "pngjs";
import QRCode from "qrcode";
import { merchantQrPayload } from "./merchant-qr";
import type { MerchantBinding } from "./model";

const QUIET_ZONE = 4;
const PIXELS_PER_MODULE = 16;
const MM = 72 / 25.4;

/** The code's modules, true for dark. */
export function qrModules(payload: string): { size: number; dark: (row: number, column: number) => boolean } {
  const code = QRCode.create([{ data: Buffer.from(payload, "utf8"), mode: "byte" }], { errorCorrectionLevel: "Q" });
  const { size, data } = code.modules;
  return { size, dark: (row, column) => data[row * size + column] === 1 };
}

export function stickerPng(payload: string): Buffer {
  const { size, dark } = qrModules(payload);
  const side = (size + 2 * QUIET_ZONE) * PIXELS_PER_MODULE;
  // One grey byte per pixel, white, with each dark module painted as a square.
  const pixels = Buffer.alloc(side * side, 0xff);
  for (let row = 0; row < size; row++)
    for (let column = 0; column < size; column++) {
      if (!dark(row, column)) continue;
      const left = (column + QUIET_ZONE) * PIXELS_PER_MODULE;
      for (let y = 0; y < PIXELS_PER_MODULE; y++) {
        const start = ((row + QUIET_ZONE) * PIXELS_PER_MODULE + y) * side + left;
        pixels.fill(0, start, start + PIXELS_PER_MODULE);
      }
    }
  const png = new PNG({ width: side, height: side, inputColorType: 0, colorType: 0 });
  png.data = pixels;
  // Filter "Sub" for every row: a code's rows are runs of equal bytes, which it turns into zeros;
  // pngjs's default tries all five filters on every row, at many times the cost for no gain here.
  return PNG.sync.write(png, { inputColorType: 0, colorType: 0, filterType: 1 });
}

/** Text in the standard font if it can show every character; undefined otherwise. */
function printable(font: PDFFont, text: string): string | undefined {
  try {
    font.encodeText(text);
    return text;
  } catch {
    return undefined;
  }
}

function centered(page: ReturnType<PDFDocument["addPage"]>, font: PDFFont, text: string, size: number, y: number): void {
  let fitted = size;
  while (fitted > 6 && font.widthOfTextAtSize(text, fitted) > page.getWidth() - 16 * MM) fitted -= 0.5;
  page.drawText(text, { x: (page.getWidth() - font.widthOfTextAtSize(text, fitted)) / 2, y, size: fitted, font, color: rgb(0, 0, 0) });
}

/**
 * The code as vector squares, so it prints sharp at any resolution: in a coordinate system of one
 * unit per module (origin at the code's lower left corner), one `re` rectangle per run of dark
 * modules in a row, all filled at once. `side` includes the quiet zone, `bottom` is its lower edge.
 */
function drawCode(page: ReturnType<PDFDocument["addPage"]>, payload: string, side: number, bottom: number): void {
  const { size, dark } = qrModules(payload);
  const module = side / (size + 2 * QUIET_ZONE);
  const operators = [
    pushGraphicsState(),
    concatTransformationMatrix(module, 0, 0, module, (page.getWidth() - side) / 2 + QUIET_ZONE * module, bottom + QUIET_ZONE * module),
    setFillingGrayscaleColor(0),
  ];
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; ) {
      if (!dark(row, column)) {
        column++;
        continue;
      }
      let end = column;
      while (end < size && dark(row, end)) end++;
      operators.push(rectangle(column, size - 1 - row, end - column, 1));
      column = end;
    }
  }
  operators.push(fill(), popGraphicsState());
  page.pushOperators(...operators);
}

export interface StickerPdf {
  bytes: Uint8Array;
  /** Set when the merchant's name has characters the PDF's standard font cannot show. */
  nameOmitted: boolean;
}

export async function stickerPdf(merchant: MerchantBinding, deviceIds: readonly string[], date: Date): Promise<StickerPdf> {
  const payload = merchantQrPayload(merchant);
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`Payment QR: ${merchant.id}`);
  doc.setProducer("payterm provision");
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  const page = doc.addPage([100 * MM, 150 * MM]);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const regular = await doc.embedFont(StandardFonts.Helvetica);

  centered(page, bold, "Scan & Pay", 22, 136 * MM);
  const name = printable(bold, merchant.name);
  if (name) centered(page, bold, name, 15, 127 * MM);
  drawCode(page, payload, 84 * MM, 38 * MM);
  const scheme = merchant.vpa ? `UPI  ${merchant.vpa}` : "EMVCo QR";
  centered(page, regular, printable(regular, scheme) ?? "UPI", 12, 30 * MM);
  centered(page, regular, "Pay with any UPI or QR payment app", 9, 23 * MM);
  centered(page, regular, `Merchant ${merchant.id}${deviceIds.length > 0 ? `  |  Device ${deviceIds.join(", ")}` : ""}`, 7, 10 * MM);
  return { bytes: await doc.save({ useObjectStreams: false }), nameOmitted: name === undefined };
}
