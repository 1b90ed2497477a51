/**
 * SoftCrypto (hal/memory/crypto.ts: @noble/hashes, @noble/curves) on XS: FIPS 180-4 and
 * RFC 4231 vectors, P-256 verification with the contract's prehash semantics, reproducible
 * randomness.
 */
import { toHex, utf8Encode } from "../../../firmware/protocol/bytes";
import { SeededRandom, SoftCrypto } from "../../../hal/memory/crypto";
import { check, done, equal, hex } from "./assert";

const crypto = new SoftCrypto(1);

check("SHA-256 of the empty string (FIPS 180-4 example)", () =>
  equal(toHex(crypto.sha256(new Uint8Array(0))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
check('SHA-256 of "abc" (FIPS 180-4 example)', () =>
  equal(toHex(crypto.sha256(utf8Encode("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
check("SHA-256 of a two-block message (FIPS 180-4 example)", () =>
  equal(
    toHex(crypto.sha256(utf8Encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ));

check("HMAC-SHA256 RFC 4231 test case 1", () =>
  equal(toHex(crypto.hmacSha256(new Uint8Array(20).fill(0x0b), utf8Encode("Hi There"))), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
check("HMAC-SHA256 RFC 4231 test case 2", () =>
  equal(toHex(crypto.hmacSha256(utf8Encode("Jefe"), utf8Encode("what do ya want for nothing?"))), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
check("HMAC-SHA256 RFC 4231 test case 6 (key longer than a block)", () =>
  equal(
    toHex(crypto.hmacSha256(new Uint8Array(131).fill(0xaa), utf8Encode("Test Using Larger Than Block-Size Key - Hash Key First"))),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ));

// Made with @noble/curves p256.sign (RFC 6979) and checked against OpenSSL (node:crypto, ieee-p1363).
const P256_KEY = hex("04223e045bce27cbe8279e2afae10cf7fbad7b54df11e5cae1c36b550aebe275e50d67873735dd3c1337bbb77acb4ae7c09cb53d3a17067cf9014d520353aa6a27");
const P256_MESSAGE = utf8Encode("payterm p256 vector");
const P256_SIGNATURE = hex(
  "1d976f0854e5e7647dc4268bf1eafd7e47e9de661fdf9b5751e395f69577d350147e33d437e514b4a6a4972b53740098dc1bbb6503ad698664cbfdfcdf272f27",
);
/** The same signature with s replaced by n - s: valid ECDSA, refused only under a low-S rule. */
const P256_SIGNATURE_HIGH_S = hex(
  "1d976f0854e5e7647dc4268bf1eafd7e47e9de661fdf9b5751e395f69577d350eb81cc2ac81aeb4c595b68d4ac8bff66e0cb3f48a36a34fe8eedccc61d3bf62a",
);

check("P-256 verifies a signature over SHA-256(message)", () => equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, P256_SIGNATURE), true));
check("P-256 accepts the high-S form, as standard ECDSA does", () => equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, P256_SIGNATURE_HIGH_S), true));
check("P-256 refuses another message", () => equal(crypto.verifyP256(P256_KEY, utf8Encode("payterm p256 vectoR"), P256_SIGNATURE), false));
check("P-256 refuses a changed signature", () => {
  const bad = P256_SIGNATURE.slice();
  bad[10] ^= 1;
  equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, bad), false);
});
check("P-256 returns false, never throws, for malformed input", () => {
  equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, P256_SIGNATURE.subarray(0, 63)), false);
  equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, new Uint8Array(64)), false);
  equal(crypto.verifyP256(P256_KEY, P256_MESSAGE, new Uint8Array(64).fill(0xff)), false);
  equal(crypto.verifyP256(P256_KEY.subarray(0, 33), P256_MESSAGE, P256_SIGNATURE), false);
  const offCurve = P256_KEY.slice();
  offCurve[64] ^= 1;
  equal(crypto.verifyP256(offCurve, P256_MESSAGE, P256_SIGNATURE), false);
  equal(crypto.verifyP256(new Uint8Array(0), P256_MESSAGE, P256_SIGNATURE), false);
});

check("randomBytes is reproducible from the seed and differs between seeds", () => {
  const a = new SoftCrypto(42).randomBytes(16);
  equal(new SoftCrypto(42).randomBytes(16), a);
  equal(a.length, 16);
  equal(toHex(new SoftCrypto(43).randomBytes(16)) === toHex(a), false, "seed 43 equals seed 42");
  equal(new SoftCrypto(7).randomBytes(3).length, 3);
});

check("SeededRandom xoshiro128** first outputs are fixed", () => {
  const random = new SeededRandom(1);
  const words = [random.nextUint32(), random.nextUint32(), random.nextUint32()];
  const again = new SeededRandom(1);
  equal([again.nextUint32(), again.nextUint32(), again.nextUint32()], words);
  equal(words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff), true, "words are uint32");
});

done();
