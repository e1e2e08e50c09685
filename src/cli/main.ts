/** The `rudder` program (bin/rudder.js, `npm run rudder`): `rudder --help` lists the commands (cli.ts). */
import { runCli } from './cli';

process.exitCode = await runCli(process.argv.slice(2));
