import type {DoctorOptions} from '../options.js';
export async function runUndo(_options: DoctorOptions): Promise<number> {
	throw new Error('undo: not implemented yet');
}
