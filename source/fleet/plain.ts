// The fleet without a terminal: a line per context as it finishes (and for each write it makes), then the table,
// the reasons, and the closing sentence. An observer of the fleet's events; it never answers the flow.
import {renderLine} from '../ansi.js';
import {patchedLine, restartedLine, rolloutHeadline, verifyLines, type Line} from '../doctor/present.js';
import {fleetReducer, initialFleetState, timesAt, type FleetEvent} from './machine.js';
import {fleetHeading, fleetOutcomeLine, fleetReasonLines, fleetRow, fleetRows, fleetTableLines, fleetWaitWords} from './present.js';

/** The width the plain table is laid out in (no terminal to ask). */
export const plainTableColumns = 160;

export function fleetPlainPrinter(options: {color: boolean; parallel: number}, write: (text: string) => void): (event: FleetEvent) => void {
	let state = initialFleetState();
	const print = (lines: Line[], indent = '') => {
		for (const line of lines) write(`${indent}${renderLine(line, options.color)}\n`);
	};
	const tagged = (context: string, line: Line): Line => [{text: `[${context}] `, style: 'bold'}, ...line];
	return (event: FleetEvent) => {
		state = fleetReducer(state, event);
		switch (event.type) {
			case 'fleet-started':
				print([[{text: `kubectl multus doctor: ${fleetHeading(event.contexts.length, options.parallel)}`, style: 'bold'}]]);
				break;
			case 'context-event': {
				const doctor = state.contexts[event.context]!.doctor;
				const inner = event.event;
				if (inner.type === 'patched') print([tagged(event.context, patchedLine(inner.patch))]);
				else if (inner.type === 'restarted') print([tagged(event.context, restartedLine(inner.restart))]);
				else if (inner.type === 'rollout-progress' && inner.rollout.finishedAt) print([tagged(event.context, rolloutHeadline(inner.rollout))]);
				else if (inner.type === 'verified') print([tagged(event.context, verifyLines(doctor.verification, doctor.found).at(-1)!)]);
				else if (inner.type === 'finished') {
					const entry = state.contexts[event.context]!;
					const row = fleetRow(entry, event.at);
					const waited = fleetWaitWords(timesAt(entry, event.at));
					print([tagged(event.context, [{text: row.cells.verdict, style: row.verdictStyle}, {text: ` (exit ${row.cells.exit}, ${row.cells.took}${waited ? `; ${waited}` : ''}) `, style: 'dim'}, {text: row.cells.reason}])]);
				}
				break;
			}
			case 'fleet-finished': {
				write('\n');
				print(fleetTableLines(fleetRows(state, event.at), plainTableColumns));
				const reasons = fleetReasonLines(state);
				if (reasons.length > 0) {
					write('\n');
					print(reasons);
				}
				write('\n');
				print([fleetOutcomeLine(state)]);
				break;
			}
			default:
				break;
		}
	};
}
