import {render} from 'ink';
import type {DoctorOptions, FleetOptions} from '../options.js';
import {ExitCode} from '../exit-codes.js';
import {runFleet} from '../fleet/fleet.js';
import {connectKube} from '../kube/client.js';
import type {KubeconfigContext} from '../kube/config.js';
import {FleetApp} from './fleet-app.js';
import {quitExitCode} from './hooks/use-doctor.js';
import {framesPerSecond} from './hooks/use-exit.js';

/** Runs the fleet in the terminal UI; resolves with its exit code once the final frame is on screen. */
export async function runInteractiveFleet(options: DoctorOptions & {fleet: FleetOptions}, contexts: readonly KubeconfigContext[]): Promise<number> {
	const instance = render(<FleetApp options={options} signals={process} flow={io => runFleet(options, contexts, io, {connect: connectKube})} />, {exitOnCtrlC: false, patchConsole: false, maxFps: framesPerSecond});
	const result = await instance.waitUntilExit();
	const code = typeof result === 'number' ? result : ExitCode.ProblemFound;
	// A second Ctrl-C (or stop signal) quits now: a cancelled cluster may still hold a request or a watch open.
	if (code === quitExitCode) process.exit(quitExitCode);
	return code;
}
