// The fleet's machine-readable report (-o json|yaml): one doctor report per context, exactly as a single run
// prints it, with that context's row, plus a summary. Fields are added, never renamed.
import {doctorReport} from '../doctor/report.js';
import {versionInfo} from '../version.js';
import {exitCodeOrder} from './exit-code.js';
import {entriesOf, timesAt, workedMs, type FleetState} from './machine.js';
import {fleetRow} from './present.js';

export function fleetReport(state: FleetState) {
	const now = state.finishedAt ?? Date.now();
	const contexts = entriesOf(state).map(entry => {
		const row = fleetRow(entry, now);
		const times = timesAt(entry, now);
		return {
			context: entry.name,
			server: entry.doctor.connection?.server ?? entry.server,
			verdict: entry.doctor.outcome?.verdict ?? 'failed',
			exitCode: entry.doctor.outcome?.exitCode ?? null,
			/** The context that made this one's change, when both reach the same Multus (the change is made once). */
			through: entry.doctor.outcome?.through ?? null,
			row: {multus: row.cells.multus, verdict: row.cells.verdict, missing: row.cells.missing, owner: row.cells.owner, reason: row.cells.reason},
			/** The cluster's time: its own work, without its waits (for the answer, a --parallel slot, its turn). */
			seconds: entry.startedAt === undefined ? null : workedMs(entry, now)! / 1000,
			/** Waiting for the user's answer. */
			answerWaitSeconds: times.answer / 1000,
			/** Waiting for a --parallel slot: before its start, and again after the answer or its turn. */
			slotWaitSeconds: times.slot / 1000,
			/** Waiting for contexts before it that may reach the same Multus (the change is made once). */
			turnWaitSeconds: times.turn / 1000,
			report: doctorReport(entry.doctor),
		};
	});
	const byVerdict: Record<string, number> = {};
	const byExitCode: Record<string, number> = {};
	for (const context of contexts) {
		byVerdict[context.verdict] = (byVerdict[context.verdict] ?? 0) + 1;
		const code = String(context.exitCode);
		byExitCode[code] = (byExitCode[code] ?? 0) + 1;
	}
	return {
		reportVersion: 1,
		kind: 'fleet',
		tool: versionInfo(),
		exitCode: state.exitCode ?? null,
		summary: {
			contexts: contexts.length,
			byVerdict,
			byExitCode,
			/** How the fleet's exit code is chosen: the first of these that any context has. */
			exitCodeOrder,
			seconds: state.startedAt === undefined ? null : (now - state.startedAt) / 1000,
		},
		contexts,
	};
}
