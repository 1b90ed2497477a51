/** "embedded:update" for the desktop simulator: there is no second slot to boot. Mapped on lin/mac only. */
export default {
  open(): never {
    throw new Error("no OTA update on the simulator");
  },
};
