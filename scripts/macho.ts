// Ad-hoc code signing and signature checking for thin 64-bit Mach-O executables, on any OS.
//
// Why: postject drops the LC_CODE_SIGNATURE of Node's darwin binaries, and macOS on Apple silicon kills any
// arm64 executable without a valid signature. An ad-hoc signature (no certificate, what `codesign --sign -`
// writes) is enough for a binary that krew downloads, because krew's Go HTTP client sets no quarantine
// attribute. The format follows Apple's xnu headers (osfmk/kern/cs_blobs.h) and `codesign` output: an
// embedded-signature SuperBlob at the end of __LINKEDIT holding a CodeDirectory (SHA-256 of every 4 KiB page
// up to the signature), an empty requirements set and an empty CMS wrapper. See docs/distribution.md.
import {createHash} from 'node:crypto';

const MH_MAGIC_64 = 0xfe_ed_fa_cf;
const FAT_MAGIC = 0xca_fe_ba_be;
const MH_EXECUTE = 2;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const headerSize = 32;
const linkeditCommandSize = 16;

const CSMAGIC_EMBEDDED_SIGNATURE = 0xfa_de_0c_c0;
const CSMAGIC_CODEDIRECTORY = 0xfa_de_0c_02;
const CSMAGIC_REQUIREMENTS = 0xfa_de_0c_01;
const CSMAGIC_BLOBWRAPPER = 0xfa_de_0b_01;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_REQUIREMENTS = 2;
const CSSLOT_SIGNATURESLOT = 0x1_00_00;
const CS_ADHOC = 0x2;
const CS_HASHTYPE_SHA256 = 2;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const codeDirectoryVersion = 0x2_04_00; // has the exec-segment fields
const codeDirectoryHeaderSize = 88;
const pageShift = 12;
const pageSize = 1 << pageShift;
const hashSize = 32;
const specialSlots = 2; // -1 Info.plist (none), -2 requirements

export const cpuTypes: Record<number, string> = {0x01_00_00_07: 'x86_64', 0x01_00_00_0c: 'arm64'};

export interface Segment {
	name: string;
	commandOffset: number;
	fileoff: number;
	filesize: number;
	vmsize: number;
	/** Lowest file offset of a section with contents, or undefined. */
	firstSectionOffset: number | undefined;
}

export interface MachO {
	cpu: string;
	fileType: number;
	ncmds: number;
	sizeofcmds: number;
	segments: Segment[];
	codeSignature: {commandOffset: number; dataoff: number; datasize: number} | undefined;
}

const align = (value: number, to: number): number => Math.ceil(value / to) * to;
const sha256 = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Load commands of a thin little-endian 64-bit Mach-O; throws on anything else. */
export function parseMachO(file: Buffer): MachO {
	if (file.length < headerSize) throw new Error('not a Mach-O file: too short');
	if (file.readUInt32BE(0) === FAT_MAGIC) throw new Error('universal (fat) Mach-O files are not supported');
	if (file.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a 64-bit Mach-O file');
	const cpuType = file.readUInt32LE(4);
	const fileType = file.readUInt32LE(12);
	const ncmds = file.readUInt32LE(16);
	const sizeofcmds = file.readUInt32LE(20);
	const segments: Segment[] = [];
	let codeSignature: MachO['codeSignature'];
	let offset = headerSize;
	for (let i = 0; i < ncmds; i++) {
		const cmd = file.readUInt32LE(offset);
		const cmdsize = file.readUInt32LE(offset + 4);
		if (cmdsize < 8 || offset + cmdsize > headerSize + sizeofcmds) throw new Error(`load command ${i} is malformed`);
		if (cmd === LC_SEGMENT_64) {
			const nsects = file.readUInt32LE(offset + 64);
			let firstSectionOffset: number | undefined;
			for (let s = 0; s < nsects; s++) {
				const sectionOffset = file.readUInt32LE(offset + 72 + s * 80 + 48);
				const flags = file.readUInt32LE(offset + 72 + s * 80 + 64);
				const zeroFill = (flags & 0xff) === 0x1 || (flags & 0xff) === 0xc || (flags & 0xff) === 0x12;
				if (sectionOffset > 0 && !zeroFill) firstSectionOffset = Math.min(firstSectionOffset ?? Infinity, sectionOffset);
			}
			segments.push({
				name: file.toString('latin1', offset + 8, offset + 24).replace(/\0.*$/s, ''),
				commandOffset: offset,
				vmsize: Number(file.readBigUInt64LE(offset + 32)),
				fileoff: Number(file.readBigUInt64LE(offset + 40)),
				filesize: Number(file.readBigUInt64LE(offset + 48)),
				firstSectionOffset,
			});
		} else if (cmd === LC_CODE_SIGNATURE) {
			codeSignature = {commandOffset: offset, dataoff: file.readUInt32LE(offset + 8), datasize: file.readUInt32LE(offset + 12)};
		}
		offset += cmdsize;
	}
	return {cpu: cpuTypes[cpuType] ?? `cpu 0x${cpuType.toString(16)}`, fileType, ncmds, sizeofcmds, segments, codeSignature};
}

function segment(macho: MachO, name: string): Segment {
	const found = macho.segments.find(s => s.name === name);
	if (!found) throw new Error(`no ${name} segment`);
	return found;
}

function codeDirectory(image: Buffer, codeLimit: number, identifier: string, text: Segment, fileType: number): Buffer {
	const ident = Buffer.from(identifier + '\0', 'utf8');
	const nCodeSlots = Math.ceil(codeLimit / pageSize);
	const hashOffset = codeDirectoryHeaderSize + ident.length + specialSlots * hashSize;
	const cd = Buffer.alloc(hashOffset + nCodeSlots * hashSize);
	cd.writeUInt32BE(CSMAGIC_CODEDIRECTORY, 0);
	cd.writeUInt32BE(cd.length, 4);
	cd.writeUInt32BE(codeDirectoryVersion, 8);
	cd.writeUInt32BE(CS_ADHOC, 12);
	cd.writeUInt32BE(hashOffset, 16);
	cd.writeUInt32BE(codeDirectoryHeaderSize, 20); // identOffset
	cd.writeUInt32BE(specialSlots, 24);
	cd.writeUInt32BE(nCodeSlots, 28);
	cd.writeUInt32BE(codeLimit, 32);
	cd.writeUInt8(hashSize, 36);
	cd.writeUInt8(CS_HASHTYPE_SHA256, 37);
	cd.writeUInt8(0, 38); // platform
	cd.writeUInt8(pageShift, 39);
	// 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3, 56 codeLimit64: all zero
	cd.writeBigUInt64BE(BigInt(text.fileoff), 64); // execSegBase
	cd.writeBigUInt64BE(BigInt(text.filesize), 72); // execSegLimit
	cd.writeBigUInt64BE(BigInt(fileType === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0), 80);
	ident.copy(cd, codeDirectoryHeaderSize);
	sha256(emptyRequirements()).copy(cd, hashOffset - CSSLOT_REQUIREMENTS * hashSize);
	for (let page = 0; page < nCodeSlots; page++) {
		const start = page * pageSize;
		sha256(image.subarray(start, Math.min(start + pageSize, codeLimit))).copy(cd, hashOffset + page * hashSize);
	}
	return cd;
}

function emptyRequirements(): Buffer {
	const blob = Buffer.alloc(12);
	blob.writeUInt32BE(CSMAGIC_REQUIREMENTS, 0);
	blob.writeUInt32BE(12, 4);
	return blob;
}

function emptySignatureWrapper(): Buffer {
	const blob = Buffer.alloc(8);
	blob.writeUInt32BE(CSMAGIC_BLOBWRAPPER, 0);
	blob.writeUInt32BE(8, 4);
	return blob;
}

/**
 * Returns a copy of `file` with a fresh ad-hoc signature, replacing any signature it had.
 * The signature goes at the end of __LINKEDIT, which must be the last segment in the file.
 */
export function adhocSign(file: Buffer, identifier: string): Buffer {
	const macho = parseMachO(file);
	const text = segment(macho, '__TEXT');
	const linkedit = segment(macho, '__LINKEDIT');
	if (macho.segments.some(s => s.fileoff > linkedit.fileoff)) throw new Error('__LINKEDIT is not the last segment');
	const end = macho.codeSignature?.dataoff ?? file.length;
	if (linkedit.fileoff + linkedit.filesize < end && !macho.codeSignature) throw new Error('data after __LINKEDIT');
	const codeLimit = align(end, 16);
	const nCodeSlots = Math.ceil(codeLimit / pageSize);
	const cdSize = codeDirectoryHeaderSize + Buffer.byteLength(identifier) + 1 + (specialSlots + nCodeSlots) * hashSize;
	const superBlobHeader = 12 + 3 * 8;
	const signatureSize = align(superBlobHeader + cdSize + 12 + 8, 16);

	const image = Buffer.alloc(codeLimit + signatureSize);
	file.copy(image, 0, 0, end);
	// Point (or add) LC_CODE_SIGNATURE at the new blob; the header is hashed too, so this comes first.
	let commandOffset = macho.codeSignature?.commandOffset;
	if (commandOffset === undefined) {
		commandOffset = headerSize + macho.sizeofcmds;
		const room = Math.min(...macho.segments.map(s => s.firstSectionOffset ?? Infinity)) - commandOffset;
		if (room < linkeditCommandSize || image.subarray(commandOffset, commandOffset + linkeditCommandSize).some(b => b !== 0)) {
			throw new Error('no room after the load commands for LC_CODE_SIGNATURE');
		}
		image.writeUInt32LE(macho.ncmds + 1, 16);
		image.writeUInt32LE(macho.sizeofcmds + linkeditCommandSize, 20);
		image.writeUInt32LE(LC_CODE_SIGNATURE, commandOffset);
		image.writeUInt32LE(linkeditCommandSize, commandOffset + 4);
	}
	image.writeUInt32LE(codeLimit, commandOffset + 8);
	image.writeUInt32LE(signatureSize, commandOffset + 12);
	const linkeditSize = codeLimit + signatureSize - linkedit.fileoff;
	image.writeBigUInt64LE(BigInt(linkeditSize), linkedit.commandOffset + 48);
	image.writeBigUInt64LE(BigInt(Math.max(linkedit.vmsize, align(linkeditSize, 0x4000))), linkedit.commandOffset + 32);

	const blobs: Array<[number, Buffer]> = [
		[CSSLOT_CODEDIRECTORY, codeDirectory(image, codeLimit, identifier, text, macho.fileType)],
		[CSSLOT_REQUIREMENTS, emptyRequirements()],
		[CSSLOT_SIGNATURESLOT, emptySignatureWrapper()],
	];
	const at = codeLimit;
	const blobsLength = blobs.reduce((sum, [, blob]) => sum + blob.length, 0);
	image.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, at);
	image.writeUInt32BE(superBlobHeader + blobsLength, at + 4);
	image.writeUInt32BE(blobs.length, at + 8);
	let blobOffset = superBlobHeader;
	blobs.forEach(([type, blob], index) => {
		image.writeUInt32BE(type, at + 12 + index * 8);
		image.writeUInt32BE(blobOffset, at + 16 + index * 8);
		blob.copy(image, at + blobOffset);
		blobOffset += blob.length;
	});
	return image;
}

export interface SignatureReport {
	cpu: string;
	identifier: string;
	flags: number;
	adhoc: boolean;
	codeLimit: number;
	pages: number;
	badPages: number;
	/** Every way the signature would be rejected; empty means valid. */
	problems: string[];
}

/** Checks an embedded signature the way the kernel and `codesign --verify` would: structure, flags, every hash. */
export function verifySignature(file: Buffer): SignatureReport {
	const report: SignatureReport = {cpu: '', identifier: '', flags: 0, adhoc: false, codeLimit: 0, pages: 0, badPages: 0, problems: []};
	const problem = (message: string): SignatureReport => {
		report.problems.push(message);
		return report;
	};
	let macho: MachO;
	try {
		macho = parseMachO(file);
	} catch (error) {
		return problem((error as Error).message);
	}
	report.cpu = macho.cpu;
	const signature = macho.codeSignature;
	if (!signature) return problem('no LC_CODE_SIGNATURE load command (unsigned)');
	const {dataoff, datasize} = signature;
	if (dataoff + datasize > file.length) return problem('signature extends past the end of the file');
	const linkedit = macho.segments.find(s => s.name === '__LINKEDIT');
	if (!linkedit || dataoff < linkedit.fileoff || dataoff + datasize > linkedit.fileoff + linkedit.filesize) {
		problem('signature is not inside __LINKEDIT');
	}
	if (file.readUInt32BE(dataoff) !== CSMAGIC_EMBEDDED_SIGNATURE) return problem('signature is not an embedded-signature SuperBlob');
	const count = file.readUInt32BE(dataoff + 8);
	const blobs = new Map<number, Buffer>();
	for (let i = 0; i < count; i++) {
		const type = file.readUInt32BE(dataoff + 12 + i * 8);
		const start = dataoff + file.readUInt32BE(dataoff + 16 + i * 8);
		const length = file.readUInt32BE(start + 4);
		blobs.set(type, file.subarray(start, start + length));
	}
	const cd = blobs.get(CSSLOT_CODEDIRECTORY);
	if (!cd || cd.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) return problem('no CodeDirectory');
	const flags = cd.readUInt32BE(12);
	const hashOffset = cd.readUInt32BE(16);
	const identOffset = cd.readUInt32BE(20);
	const nSpecialSlots = cd.readUInt32BE(24);
	const nCodeSlots = cd.readUInt32BE(28);
	const codeLimit = cd.readUInt32BE(32);
	report.flags = flags;
	report.adhoc = (flags & CS_ADHOC) !== 0;
	report.identifier = cd.toString('utf8', identOffset, cd.indexOf(0, identOffset));
	report.codeLimit = codeLimit;
	report.pages = nCodeSlots;
	if (!report.adhoc) problem(`CodeDirectory flags 0x${flags.toString(16)} lack adhoc (0x2)`);
	if (report.identifier === '') problem('empty identifier');
	if (cd.readUInt8(36) !== hashSize || cd.readUInt8(37) !== CS_HASHTYPE_SHA256) return problem('CodeDirectory hash is not SHA-256');
	if (cd.readUInt8(39) !== pageShift) return problem(`page size 2^${cd.readUInt8(39)}, expected 4096`);
	if (codeLimit !== dataoff) problem(`codeLimit ${codeLimit} is not the signature offset ${dataoff}`);
	if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) problem(`${nCodeSlots} code slots for ${codeLimit} bytes`);
	for (let page = 0; page < nCodeSlots; page++) {
		const start = page * pageSize;
		const expected = cd.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
		if (!sha256(file.subarray(start, Math.min(start + pageSize, codeLimit))).equals(expected)) report.badPages++;
	}
	if (report.badPages > 0) problem(`${report.badPages} of ${nCodeSlots} page hashes do not match`);
	// Special slot -n holds the hash of the blob of type n, or zeros when there is no such blob.
	for (let slot = 1; slot <= nSpecialSlots; slot++) {
		const stored = cd.subarray(hashOffset - slot * hashSize, hashOffset - (slot - 1) * hashSize);
		const blob = blobs.get(slot);
		const expected = blob ? sha256(blob) : Buffer.alloc(hashSize);
		if (!stored.equals(expected)) problem(`special slot ${slot} hash does not match`);
	}
	const text = macho.segments.find(s => s.name === '__TEXT');
	if (cd.readUInt32BE(8) >= 0x2_04_00 && text) {
		const execSegLimit = Number(cd.readBigUInt64BE(72));
		if (execSegLimit !== text.filesize) problem(`execSegLimit ${execSegLimit} is not the __TEXT size ${text.filesize}`);
	}
	return report;
}

/** The CodeDirectory blob of a signed Mach-O (slot 0), for comparing two signers' output. */
export function codeDirectoryOf(file: Buffer): Buffer {
	const signature = parseMachO(file).codeSignature;
	if (!signature) throw new Error('unsigned');
	const start = signature.dataoff + file.readUInt32BE(signature.dataoff + 16);
	return file.subarray(start, start + file.readUInt32BE(start + 4));
}
