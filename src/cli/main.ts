/** The `rudder` program (bin/rudder.js, `npm run rudder`): `rudder --help` lists the commands (cli.ts). */
import './relaxed-simd'; // first: before the engine loads
import { runCli } from './cli';

process.exitCode = await runCli(process.argv.slice(2));
