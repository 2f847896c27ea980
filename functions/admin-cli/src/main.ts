import { run } from './run.ts';

const { exitCode, output } = await run(process.argv.slice(2), process.env, process.cwd());
(exitCode === 0 ? process.stdout : process.stderr).write(`${output}\n`);
process.exitCode = exitCode;
