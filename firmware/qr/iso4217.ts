/**
 * ISO 4217 numeric codes of the currencies in firmware/money.ts: EMVCo MPM carries the
 * transaction currency as the three-digit numeric code (data object 53), the protocol as the
 * alphabetic one.
 */
const NUMERIC: Record<string, string> = {
  INR: "356", CNY: "156", THB: "764", IDR: "360", USD: "840", EUR: "978", GBP: "826", SGD: "702",
  MYR: "458", AED: "784", HKD: "344", NPR: "524", BDT: "050", LKR: "144", PHP: "608", VND: "704",
  JPY: "392", KRW: "410", AUD: "036", CAD: "124", BRL: "986", SAR: "682", QAR: "634",
};

const ALPHABETIC: Record<string, string> = {};
for (const code of Object.keys(NUMERIC)) ALPHABETIC[NUMERIC[code]] = code;

function own(table: Record<string, string>, key: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export function numericCurrency(alphabetic: string): string | undefined {
  return own(NUMERIC, alphabetic);
}

export function alphabeticCurrency(numeric: string): string | undefined {
  return own(ALPHABETIC, numeric);
}
