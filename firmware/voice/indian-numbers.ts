/**
 * The Indian numbering system shared by the Indian languages: crore (10^7), lakh (10^5),
 * thousand, hundreds, and a word for every number below a hundred.
 *
 * Clip names: "n<k>" a number 0..99 said on its own (its text is the numeral in the language's
 * digits, which a voice actor reads as the word); "h<d>" d hundred, said as one unit (२०० "दो
 * सौ"); "thousand", "lakh", "crore" the scale words. Languages whose words change form when
 * more follows (Dravidian "sandhi", Marathi एकशे) override the parts below.
 */
export type Scale = "crore" | "lakh" | "thousand";

export interface IndianForms {
  /** The count before a scale word; `followed` when a smaller part comes after the scale word. */
  count?(count: number, scale: Scale, followed: boolean): string[];
  /** The scale word after `count`. */
  scale?(scale: Scale, count: number, followed: boolean): string[];
  /** `digit` hundred (1..9), `followed` when tens or units come after, `preceded` after a thousand, lakh or crore. */
  hundreds?(digit: number, followed: boolean, preceded: boolean): string[];
  /** 1..99 at the end of the number. */
  rest?(n: number, afterHundreds: boolean): string[];
}

export function indianNumbers(forms: IndianForms): (n: number) => string[] {
  const count = forms.count ?? ((k: number) => [`n${k}`]);
  const scale = forms.scale ?? ((s: Scale) => [s]);
  const hundreds = forms.hundreds ?? ((d: number) => [`h${d}`]);
  const rest = forms.rest ?? ((k: number) => [`n${k}`]);

  function push(out: string[], clips: string[]): void {
    for (const clip of clips) out.push(clip);
  }

  function into(n: number, out: string[]): void {
    const crores = Math.floor(n / 10_000_000);
    const below = n % 10_000_000;
    if (crores > 0) {
      // Past 99 crore the number of crores is itself said in the Indian system.
      if (crores > 99) into(crores, out);
      else push(out, count(crores, "crore", below > 0));
      push(out, scale("crore", crores, below > 0));
    }
    const lakhs = Math.floor(below / 100_000);
    const belowLakh = below % 100_000;
    if (lakhs > 0) {
      push(out, count(lakhs, "lakh", belowLakh > 0));
      push(out, scale("lakh", lakhs, belowLakh > 0));
    }
    const thousands = Math.floor(belowLakh / 1000);
    const belowThousand = belowLakh % 1000;
    if (thousands > 0) {
      push(out, count(thousands, "thousand", belowThousand > 0));
      push(out, scale("thousand", thousands, belowThousand > 0));
    }
    const digit = Math.floor(belowThousand / 100);
    const last = belowThousand % 100;
    if (digit > 0) push(out, hundreds(digit, last > 0, belowThousand !== n));
    if (last > 0) push(out, rest(last, digit > 0));
  }

  return (n: number): string[] => {
    if (n === 0) return ["n0"];
    const out: string[] = [];
    into(n, out);
    return out;
  };
}
