/** Process entry of the `aseagi` command (see bin/aseagi.js). */
import { main } from './main.js';

const code = await main(process.argv.slice(2));
process.exit(code);
