import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {describe, test} from 'node:test';
import {adhocSign, parseMachO, verifySignature} from '../../../scripts/macho.js';

const textSize = 0x2000;
const linkeditSize = 0x1234;

/** A minimal arm64 executable: __TEXT with one section at 4 KiB, then __LINKEDIT, no signature. */
function unsignedExecutable(room = true): Buffer {
	const file = Buffer.alloc(textSize + linkeditSize);
	randomBytes(file.length - 0x1000).copy(file, 0x1000);
	const sizeofcmds = 152 + 72;
	file.writeUInt32LE(0xfe_ed_fa_cf, 0);
	file.writeUInt32LE(0x01_00_00_0c, 4); // arm64
	file.writeUInt32LE(2, 12); // MH_EXECUTE
	file.writeUInt32LE(2, 16);
	file.writeUInt32LE(sizeofcmds, 20);
	let at = 32;
	const segment = (name: string, cmdsize: number, fileoff: number, filesize: number, nsects: number): void => {
		file.writeUInt32LE(0x19, at);
		file.writeUInt32LE(cmdsize, at + 4);
		file.write(name, at + 8, 'latin1');
		file.writeBigUInt64LE(0x1_0000_0000n + BigInt(fileoff), at + 24);
		file.writeBigUInt64LE(0x4000n, at + 32);
		file.writeBigUInt64LE(BigInt(fileoff), at + 40);
		file.writeBigUInt64LE(BigInt(filesize), at + 48);
		file.writeUInt32LE(nsects, at + 64);
	};
	segment('__TEXT', 152, 0, textSize, 1);
	file.write('__text', at + 72, 'latin1');
	file.write('__TEXT', at + 88, 'latin1');
	// The code starts right after the load commands when there is no room for one more.
	file.writeUInt32LE(room ? 0x1000 : 32 + sizeofcmds + 8, at + 72 + 48);
	at += 152;
	segment('__LINKEDIT', 72, textSize, linkeditSize, 0);
	return file;
}

describe('ad-hoc Mach-O signing (scripts/macho.ts)', () => {
	test('an unsigned executable is reported as unsigned', () => {
		assert.deepEqual(verifySignature(unsignedExecutable()).problems, ['no LC_CODE_SIGNATURE load command (unsigned)']);
	});

	test('signing adds LC_CODE_SIGNATURE and a CodeDirectory whose page hashes all match', () => {
		const signed = adhocSign(unsignedExecutable(), 'kubectl-multus');
		const report = verifySignature(signed);
		assert.deepEqual(report.problems, []);
		assert.equal(report.identifier, 'kubectl-multus');
		assert.equal(report.adhoc, true);
		assert.equal(report.cpu, 'arm64');
		const codeLimit = Math.ceil((textSize + linkeditSize) / 16) * 16;
		assert.equal(report.codeLimit, codeLimit);
		assert.equal(report.pages, Math.ceil(codeLimit / 4096));
		const macho = parseMachO(signed);
		assert.equal(macho.ncmds, 3);
		const linkedit = macho.segments.find(s => s.name === '__LINKEDIT')!;
		assert.equal(linkedit.fileoff + linkedit.filesize, signed.length, '__LINKEDIT ends with the signature');
		assert.equal(macho.codeSignature!.dataoff + macho.codeSignature!.datasize, signed.length);
	});

	test('changing one byte of code breaks exactly that page', () => {
		const signed = adhocSign(unsignedExecutable(), 'kubectl-multus');
		signed.writeUInt8(signed.readUInt8(0x1800) ^ 0xff, 0x1800);
		const report = verifySignature(signed);
		assert.equal(report.badPages, 1);
		assert.match(report.problems.join(), /1 of \d+ page hashes do not match/);
	});

	test('re-signing replaces the signature instead of adding a second one', () => {
		const once = adhocSign(unsignedExecutable(), 'first');
		const twice = adhocSign(once, 'kubectl-multus');
		assert.equal(parseMachO(twice).ncmds, 3);
		assert.equal(parseMachO(twice).codeSignature!.dataoff, parseMachO(once).codeSignature!.dataoff, 'written where the old one was');
		assert.deepEqual(verifySignature(twice).problems, []);
		assert.equal(verifySignature(twice).identifier, 'kubectl-multus');
	});

	test('refuses when the load commands leave no room for LC_CODE_SIGNATURE', () => {
		assert.throws(() => adhocSign(unsignedExecutable(false), 'kubectl-multus'), /no room/);
	});

	test('refuses universal binaries and non-Mach-O files', () => {
		const fat = Buffer.alloc(64);
		fat.writeUInt32BE(0xca_fe_ba_be, 0);
		assert.throws(() => adhocSign(fat, 'x'), /universal/);
		assert.throws(() => adhocSign(Buffer.from('MZ not a mach-o file at all, just text....'), 'x'), /not a 64-bit Mach-O/);
	});
});
