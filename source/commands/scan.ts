export async function runScan(_options: {source: string; output: string}): Promise<number> {
	throw new Error('scan: not implemented yet');
}
