// Usage: node --import tsx scripts/check-signature.ts FILE...
// Verifies each Mach-O FILE's embedded code signature: SuperBlob and CodeDirectory structure, adhoc flag,
// identifier, special slots and the SHA-256 of every page. Exits 1 if any file would be rejected.
import {readFileSync} from 'node:fs';
import {verifySignature} from './macho.js';

const files = process.argv.slice(2);
if (files.length === 0) {
	process.stderr.write('usage: check-signature FILE...\n');
	process.exit(2);
}
let failed = 0;
for (const file of files) {
	const report = verifySignature(readFileSync(file));
	const summary = `${report.cpu}, identifier ${report.identifier || '-'}, flags 0x${report.flags.toString(16)}, ` +
		`${report.pages - report.badPages}/${report.pages} pages ok`;
	if (report.problems.length === 0) process.stdout.write(`ok   ${file}: ${summary}\n`);
	else {
		failed++;
		process.stdout.write(`FAIL ${file}: ${report.problems.join('; ')} (${summary})\n`);
	}
}
process.exitCode = failed > 0 ? 1 : 0;
