import { join } from "node:path";
import { projectRoot } from "../paths";

/** Where `npm start` keeps the simulator's registry and broker address, and where one-shot commands look for them. */
export const DEFAULT_STATE_DIR = join(projectRoot, "build", "sim");
