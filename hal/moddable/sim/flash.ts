/**
 * "embedded:storage/flash" for the desktop simulator, which has no flash partitions: opening one
 * fails, so a build configured with `updates` runs without update storage. Mapped on lin/mac only.
 */
export default {
  open(options: { path: string }): never {
    throw new Error(`no flash partition "${options.path}" on the simulator`);
  },
};
