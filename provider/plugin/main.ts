import { runPlugin } from './run.ts';

// Entry point kubelet execs (through bin/<provider-name>): request on stdin, response on stdout.
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const result = await runPlugin({ argv: process.argv.slice(2), env: process.env, stdin: process.argv.includes('--help') ? '' : await readStdin() });
if (result.stdout) process.stdout.write(result.stdout);
if (result.stderr) process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
