/*
 * Reads whole numbers, one a line, and writes each spelled out by ICU's rule-based number
 * format (CLDR spellout rules): `icu-spellout LOCALE [RULESET]`. The voice oracle uses it for
 * languages whose espeak-ng number rules are wrong (see docs/voice.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: icu-spellout LOCALE [RULESET] < numbers\n");
    return 2;
  }
  UErrorCode status = U_ZERO_ERROR;
  UNumberFormat *format = unum_open(UNUM_SPELLOUT, NULL, 0, argv[1], NULL, &status);
  if (U_FAILURE(status)) {
    fprintf(stderr, "icu-spellout: no spellout for %s: %s\n", argv[1], u_errorName(status));
    return 1;
  }
  const char *actual = unum_getLocaleByType(format, ULOC_ACTUAL_LOCALE, &status);
  if (U_FAILURE(status) || !actual || strncmp(actual, argv[1], 2) != 0) {
    fprintf(stderr, "icu-spellout: ICU has no spellout rules for %s (it would use %s)\n", argv[1], actual ? actual : "?");
    return 1;
  }
  if (argc > 2) {
    UChar ruleset[64];
    u_uastrncpy(ruleset, argv[2], 63);
    ruleset[63] = 0;
    unum_setTextAttribute(format, UNUM_DEFAULT_RULESET, ruleset, -1, &status);
    if (U_FAILURE(status)) {
      fprintf(stderr, "icu-spellout: no ruleset %s for %s: %s\n", argv[2], argv[1], u_errorName(status));
      return 1;
    }
  }
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    char *end;
    long long n = strtoll(line, &end, 10);
    if (end == line || (*end != '\n' && *end != 0)) {
      fprintf(stderr, "icu-spellout: not a whole number: %s", line);
      return 1;
    }
    UChar spelled[1024];
    char utf8[4096];
    status = U_ZERO_ERROR;
    int32_t length = unum_formatInt64(format, n, spelled, 1024, NULL, &status);
    u_strToUTF8(utf8, sizeof utf8, NULL, spelled, length, &status);
    if (U_FAILURE(status)) {
      fprintf(stderr, "icu-spellout: cannot spell %lld: %s\n", n, u_errorName(status));
      return 1;
    }
    puts(utf8);
  }
  unum_close(format);
  return 0;
}
