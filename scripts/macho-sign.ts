// Usage: node --import tsx scripts/macho-sign.ts [--identifier ID] FILE...
// Replaces the code signature of each thin 64-bit Mach-O FILE with an ad-hoc one (what `codesign --sign -` does).
import {readFileSync, writeFileSync} from 'node:fs';
import {adhocSign} from './macho.js';

const args = process.argv.slice(2);
let identifier = 'kubectl-multus';
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
	if (args[i] === '--identifier') identifier = args[++i] ?? identifier;
	else files.push(args[i]!);
}
if (files.length === 0) {
	process.stderr.write('usage: macho-sign [--identifier ID] FILE...\n');
	process.exit(2);
}
for (const file of files) {
	writeFileSync(file, adhocSign(readFileSync(file), identifier));
	process.stderr.write(`signed ${file} (ad-hoc, identifier ${identifier})\n`);
}
