import {render} from 'ink';
import type {DoctorOptions} from '../options.js';
import {ExitCode} from '../exit-codes.js';
import {runDoctorFlow} from '../doctor/runner.js';
import {connectKube} from '../kube/client.js';
import {App} from './app.js';
import {quitExitCode} from './hooks/use-doctor.js';
import {framesPerSecond} from './hooks/use-exit.js';

/** Runs the doctor in the terminal UI; resolves with the exit code once the final frame is on screen. */
export async function runInteractiveDoctor(options: DoctorOptions): Promise<number> {
	const instance = render(<App options={options} signals={process} flow={(flowOptions, io) => runDoctorFlow(flowOptions, io, {connect: connectKube})} />, {exitOnCtrlC: false, patchConsole: false, maxFps: framesPerSecond});
	const result = await instance.waitUntilExit();
	const code = typeof result === 'number' ? result : ExitCode.ProblemFound;
	// A second Ctrl-C (or stop signal) quits now: the cancelled step may still hold a request or a watch open.
	if (code === quitExitCode) process.exit(quitExitCode);
	return code;
}
