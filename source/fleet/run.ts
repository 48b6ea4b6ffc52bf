// `kubectl multus doctor --all-contexts | --contexts a,b*`: picks the contexts from the merged kubeconfig, runs the
// fleet, and draws it: the Ink table in a terminal, else plain lines or one JSON/YAML report; --emit writes one
// file per context into --emit-dir. Exit code: the most serious of the contexts' codes.
import {existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {stringify} from 'yaml';
import {terminalSafe} from '../ansi.js';
import {emitResult} from '../commands/doctor.js';
import {connectKube} from '../kube/client.js';
import {kubeconfigContexts, type KubeconfigContext} from '../kube/config.js';
import type {DoctorOptions, FleetOptions} from '../options.js';
import {foldExitCodes} from './exit-code.js';
import {runFleet, type FleetIO} from './fleet.js';
import {fleetReducer, initialFleetState, type FleetEvent, type FleetState} from './machine.js';
import {fleetPlainPrinter} from './plain.js';
import {fleetReport} from './report.js';
import {selectContexts} from './select.js';
import {cancelOnSignals} from '../signals.js';
import {cancellingNote} from '../doctor/present.js';

export type FleetDoctorOptions = DoctorOptions & {fleet: FleetOptions};

/** The selected contexts of the merged kubeconfig (a usage error when a name or glob matches none). */
export function fleetContexts(options: FleetDoctorOptions): KubeconfigContext[] {
	const {contexts, source} = kubeconfigContexts(options.connection);
	return selectContexts(contexts, options.fleet.selection, source);
}

/** Names Windows keeps for devices, with any extension: `con.yaml` is no file there. */
const windowsDevice = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i;

/**
 * A file name for a context: its name with anything but letters, digits, `.`, `_` and `-` made `_`, never hidden,
 * never a Windows device name, and never the same twice even where case does not count (macOS, Windows: `Prod`
 * and `prod` would be one file there).
 */
export function contextFileName(context: string, taken: Set<string>): string {
	let base = context.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_') || '_';
	if (windowsDevice.test(base)) base = `_${base}`;
	let name = base;
	for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
	taken.add(name.toLowerCase());
	return name;
}

export async function runFleetDoctor(options: FleetDoctorOptions): Promise<number> {
	const contexts = fleetContexts(options);
	if (options.interactive) {
		const {runInteractiveFleet} = await import('../ui/run-fleet.js');
		return runInteractiveFleet(options, contexts);
	}
	const controller = new AbortController();
	const stopListening = cancelOnSignals(controller, cause => process.stderr.write(`\n${cancellingNote(cause, 'every cluster stops at its next safe point')}\n`));
	try {
		const emitting = options.emit !== undefined;
		let state: FleetState = initialFleetState();
		const observers: Array<(event: FleetEvent) => void> = [event => (state = fleetReducer(state, event))];
		if (options.output === 'text') observers.push(fleetPlainPrinter({color: options.color, parallel: options.fleet.parallel}, text => process.stdout.write(text)));
		const io: FleetIO = {dispatch: event => observers.forEach(observe => observe(event)), signal: controller.signal};
		const run = emitting ? {...options, check: true} : options;
		const {exitCode} = await runFleet(run, contexts, io, {connect: connectKube});
		if (emitting) return writeEmitted(options, state);
		if (options.output !== 'text') {
			const report = fleetReport(state);
			process.stdout.write(options.output === 'json' ? JSON.stringify(report, null, 2) + '\n' : stringify(report));
		}
		return exitCode;
	} finally {
		stopListening();
	}
}

/**
 * --emit with several contexts: one file per context with a fix into --emit-dir, and a line per context saying so.
 * File names are given to every context in the kubeconfig's order, with or without a file this time, so a context's
 * name is the same from run to run; a file of that name this run does not write is an earlier run's, and its line
 * says so (it is left: the directory may hold more than ours). A context that reaches the same Multus as an earlier
 * one (its DaemonSet's uid) with the same change still gets its file (a uid is the server's word: two clusters
 * restored from one backup share them), and its line says to apply one of the two.
 */
export function writeEmitted(options: FleetDoctorOptions, state: FleetState, say: (line: string) => void = line => process.stderr.write(line)): number {
	const dir = options.fleet.emitDir!;
	mkdirSync(dir, {recursive: true});
	const taken = new Set<string>();
	const fileNames = new Map(state.order.map(name => [name, contextFileName(name, taken)]));
	const extension = options.emit === 'patch' ? 'json' : 'yaml';
	const written = new Map<string, {context: string; file: string; content: string}>();
	const codes: number[] = [];
	for (const name of state.order) {
		const doctor = state.contexts[name]!.doctor;
		const result = emitResult(options.emit!, doctor.outcome!, doctor);
		codes.push(result.exitCode);
		const file = path.join(dir, `${fileNames.get(name)!}.${extension}`);
		let where = 'no file';
		let also = '';
		if (result.file !== undefined) {
			writeFileSync(file, result.file);
			where = `wrote ${file}`;
			const uid = doctor.found?.daemonSet.uid;
			const earlier = uid === undefined ? undefined : written.get(uid);
			if (earlier?.content === result.file) {
				const ds = doctor.found!.daemonSet;
				also = `\n  the same Multus as ${earlier.context} (DaemonSet ${ds.namespace}/${ds.name}, uid ${uid}) and the same change as ${earlier.file}: if both contexts reach one cluster, apply one of the two`;
			} else if (uid !== undefined) {
				written.set(uid, {context: name, file, content: result.file});
			}
		} else if (existsSync(file)) {
			also = `\n  ${file} is not this run's: it is left from before; remove it before applying the directory`;
		}
		say(terminalSafe(`[${name}] ${where}: ${result.note.replaceAll('FILE', result.file === undefined ? 'FILE' : file)}${also}`) + '\n');
	}
	return foldExitCodes(codes);
}
