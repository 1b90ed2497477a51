/**
 * `device` (ECMA-419 host provider) of the payterm QR display board: the PN532's I2C bus and
 * the pins the HAL opens by number.
 */
import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import I2C from "embedded:io/i2c";

const device = Object.freeze({
  I2C: { default: { io: I2C, data: 21, clock: 22 } },
  io: { Analog, Digital, I2C },
  pin: { nfcIrq: 27, battery: 35 },
}, true);

export default device;
