import type {DoctorOptions} from '../options.js';
export async function runDoctor(_options: DoctorOptions): Promise<number> {
	throw new Error('doctor: not implemented yet');
}
