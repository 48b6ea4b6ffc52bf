import {stringify} from 'yaml';
import type {DoctorOptions} from '../options.js';
import {runPlainDoctor} from '../doctor/plain.js';
import {doctorReport} from '../doctor/report.js';

/** `kubectl multus doctor`: the Ink UI in a terminal, otherwise the plain printer or a JSON/YAML report. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
	if (options.interactive) {
		const {runInteractiveDoctor} = await import('../ui/run.js');
		return runInteractiveDoctor(options);
	}
	const controller = new AbortController();
	const onSignal = () => {
		if (controller.signal.aborted) process.exit(130);
		process.stderr.write('\ncancelling: stopping at the next safe point (Ctrl-C again to quit now)\n');
		controller.abort();
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);
	try {
		const {outcome, state} = await runPlainDoctor(options, text => process.stdout.write(text), controller.signal);
		if (options.output !== 'text') {
			const report = doctorReport(state);
			process.stdout.write(options.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : stringify(report));
			if (outcome.exitCode !== 0 && state.failure) process.stderr.write(`error: ${state.failure.message}${state.failure.hint ? `\n  fix: ${state.failure.hint}` : ''}\n`);
		}
		return outcome.exitCode;
	} finally {
		process.off('SIGINT', onSignal);
		process.off('SIGTERM', onSignal);
	}
}
