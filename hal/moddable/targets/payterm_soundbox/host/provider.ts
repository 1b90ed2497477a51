/**
 * `device` (ECMA-419 host provider) of the payterm soundbox board: the buses the HAL opens by
 * pin number, listed for tools and examples that look them up here.
 */
import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import I2C from "embedded:io/i2c";

const device = Object.freeze({
  I2C: { default: { io: I2C, data: 21, clock: 22 } },
  io: { Analog, Digital, I2C },
  pin: { amplifierBck: 26, amplifierLr: 25, amplifierData: 22, battery: 35 },
}, true);

export default device;
