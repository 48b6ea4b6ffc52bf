// What the fleet says: one row per context (the table and the plain printer draw the same cells), the question
// that lists every cluster's exact change (in the doctor's own words: confirmLines and planChangeLines), and the
// closing sentence. Words only; the renderers draw.
import {terminalSafe, textWidth} from '../ansi.js';
import type {ErrorKind} from '../errors.js';
import {formatDuration} from '../duration.js';
import {confirmLines, createdRoleBrief, foldedNames, marks, planChangeLines, type Line, type Style} from '../doctor/present.js';
import {stepTitles, unansweredWrite, type Verdict} from '../doctor/model.js';
import {describeRule} from '../multus/rbac.js';
import {exitCodeOrder} from './exit-code.js';
import {entriesOf, workedMs, type ContextEntry, type ContextTimes, type FleetState} from './machine.js';

/** The columns, in order, with their headings. */
export const fleetColumns = [
	['context', 'CONTEXT'],
	['server', 'SERVER'],
	['multus', 'MULTUS'],
	['verdict', 'VERDICT'],
	['missing', 'MISSING'],
	['owner', 'OWNER'],
	['took', 'TOOK'],
	['exit', 'EXIT'],
	['reason', 'REASON'],
] as const;
export type FleetColumn = (typeof fleetColumns)[number][0];

/** One context as a row: each cell's text, and the style of the verdict. */
export interface FleetRow {
	cells: Record<FleetColumn, string>;
	verdictStyle: Style;
	finished: boolean;
}

const verdictWords: Record<Verdict, [string, Style]> = {
	healthy: ['healthy', 'ok'],
	fixed: ['fixed', 'ok'],
	unproven: ['patched, not proven', 'warn'],
	problem: ['broken', 'bad'],
	declined: ['declined', 'warn'],
	'dry-run': ['dry run', 'warn'],
	managed: ['managed elsewhere', 'warn'],
	failed: ['failed', 'bad'],
	cancelled: ['cancelled', 'warn'],
};

/** A failure by its kind, in one or two words (its message is the reason). */
const failureWords: Partial<Record<ErrorKind, string>> = {
	Config: 'kubeconfig',
	Unreachable: 'unreachable',
	Timeout: 'no answer',
	Unauthorized: 'credentials rejected',
	NotKubernetes: 'not Kubernetes',
	Forbidden: 'forbidden',
	NotFound: 'not found',
	RolloutFailed: 'rollout failed',
	Usage: 'usage error',
};

function verdictOf(entry: ContextEntry, cancelling: boolean): [string, Style] {
	const doctor = entry.doctor;
	if (doctor.outcome) {
		if (doctor.outcome.verdict === 'failed' && doctor.failure) {
			const words = doctor.failure.kind === 'NotFound' && doctor.failure.step === 'find' ? 'no Multus' : failureWords[doctor.failure.kind] ?? 'failed';
			return [words, 'bad'];
		}
		return verdictWords[doctor.outcome.verdict];
	}
	if (entry.phase === 'queued' && entry.startedAt === undefined) return [cancelling ? 'not started' : 'queued', 'dim'];
	if (cancelling) return ['cancelling…', 'warn'];
	// Started, its slot given back for the answer or its turn: it waits for one again (--parallel).
	if (entry.phase === 'queued') return ['queued', 'dim'];
	if (entry.phase === 'asking') return ['awaiting answer', 'accent'];
	if (entry.phase === 'waiting') return [`waits for ${foldedNames(entry.waitingFor ?? [])}`, 'dim'];
	const step = doctor.current;
	if (!step) return ['starting…', 'dim'];
	if (step === 'rollout' && doctor.rollout) return [`rollout ${doctor.rollout.progress.updated}/${doctor.rollout.progress.desired}`, 'accent'];
	if (step === 'verify' && doctor.proofProgress) return ['proving…', 'accent'];
	return [`${stepTitles[step].toLowerCase()}…`, 'accent'];
}

/** The row of one context, from its doctor state and its place in the schedule; `now` for a running one's time. */
export function fleetRow(entry: ContextEntry, now: number, cancelling = false): FleetRow {
	const doctor = entry.doctor;
	const found = doctor.found;
	const ds = found?.daemonSet;
	const [verdict, verdictStyle] = verdictOf(entry, cancelling);
	const missing = doctor.diagnosis ? doctor.diagnosis.rules.missing.map(describeRule).join('; ') || '–' : '';
	const owner = doctor.plan?.owner?.name ?? found?.roles.find(role => role.owner)?.owner?.name ?? found?.daemonSetOwner?.name ?? (found ? '–' : '');
	const worked = workedMs(entry, now);
	const took = worked === undefined ? '' : formatDuration(worked);
	// A dedicated fix half applied leaves a role in the cluster: the cell says so before the error (the whole sentence is under the table).
	const halfApplied = doctor.failure && doctor.createdRole && !doctor.patch ? `${createdRoleBrief(doctor.createdRole, unansweredWrite(doctor.failure))}: ` : '';
	const reason = doctor.failure ? halfApplied + doctor.failure.message : doctor.outcome?.message ?? (doctor.liveNote?.note ?? '');
	return {
		cells: {
			context: entry.name,
			// https:// is every server's: the columns go to the host and port.
			server: (doctor.connection?.server ?? entry.server).replace(/^https:\/\//, ''),
			multus: ds ? `${ds.namespace}/${ds.name} ${ds.mode}${ds.version ? ` ${ds.version}` : ''}` : '',
			verdict,
			missing,
			owner,
			took,
			exit: doctor.outcome ? String(doctor.outcome.exitCode) : '',
			reason,
		},
		verdictStyle,
		finished: doctor.outcome !== undefined,
	};
}

/**
 * The waits that are not the cluster's own time, for the line a context ends with without a terminal: "waited 1.2s
 * for a slot, 4s for its turn" (a --parallel slot, contexts before it reaching the same Multus). Waits under a tenth
 * of a second are left out, and the answer's too (without a terminal nobody is asked); empty when there is none.
 */
export function fleetWaitWords(times: ContextTimes): string {
	const waits = ([['slot', 'for a slot'], ['turn', 'for its turn']] as const).filter(([key]) => times[key] >= 100).map(([key, words]) => `${formatDuration(times[key])} ${words}`);
	return waits.length === 0 ? '' : `waited ${waits.join(', ')}`;
}

export function fleetRows(state: FleetState, now: number): FleetRow[] {
	return entriesOf(state).map(entry => fleetRow(entry, now, state.cancelling));
}

/** The fleet's question: every listed cluster's exact change, then one yes or no for all of them. */
export function fleetQuestionLines(state: FleetState, contexts: string[], restart: boolean): {changes: Line[]; question: Line} {
	const changes: Line[] = [];
	for (const name of contexts) {
		const doctor = state.contexts[name]?.doctor;
		if (!doctor?.plan) continue;
		changes.push([{text: name, style: 'bold'}, {text: `  ${doctor.connection?.server ?? state.contexts[name]!.server}`, style: 'dim'}]);
		for (const effect of confirmLines(doctor.plan, doctor.found, restart).effects) changes.push([{text: '  '}, ...effect]);
		for (const change of planChangeLines(doctor.plan)) changes.push([{text: '  '}, ...change]);
	}
	const count = contexts.length;
	const question: Line = count === 1
		? [{text: `Apply this change to context ${contexts[0]}?`, style: 'bold'}, {text: ' [y/N]'}]
		: [{text: `Apply these changes to ${count} clusters (${contexts.join(', ')})?`, style: 'bold'}, {text: ' [y/N]'}];
	return {changes, question};
}

/** How many contexts ended how: "2 fixed, 1 healthy, 1 unreachable". */
export function fleetTally(state: FleetState): string {
	const counts = new Map<string, number>();
	for (const entry of entriesOf(state)) {
		const [words] = verdictOf(entry, state.cancelling);
		counts.set(words, (counts.get(words) ?? 0) + 1);
	}
	return [...counts].map(([words, count]) => `${count} ${words}`).join(', ');
}

/** The run's heading: how many contexts, and how many of them run at once ("1 context", "5 contexts, all at once"). */
export function fleetHeading(count: number, parallel: number): string {
	if (count === 1) return '1 context';
	return `${count} contexts, ${parallel >= count ? 'all' : `at most ${parallel}`} at once`;
}

/** The closing sentence: the tally and the fleet's exit code, the most serious of the contexts'. */
export function fleetOutcomeLine(state: FleetState): Line {
	const code = state.exitCode ?? 0;
	const worst = code === 0 ? '' : `: the most serious of the contexts' codes (${entriesOf(state).filter(entry => entry.doctor.outcome?.exitCode === code).map(entry => entry.name).join(', ')})`;
	return [{text: `${code === 0 ? marks.ok : marks.bad} ${state.order.length} context${state.order.length === 1 ? '' : 's'}: ${fleetTally(state)}. Exit ${code}${worst}.`, style: code === 0 ? 'ok' : 'bad'}];
}

/** The exit codes from most to least serious, as the README says: "5 > 2 > 3 > 4 > 1 > 7 > 0". */
export const exitCodeOrderText = exitCodeOrder.join(' > ');

/** The widest each column may get before its cells are cut (the reason takes what is left). */
const columnCaps: Record<FleetColumn, number> = {context: 28, server: 26, multus: 48, verdict: 22, missing: 30, owner: 16, took: 8, exit: 4, reason: 200};

/**
 * A cell's text as the table draws it, so that it is measured as drawn: escapes for what a terminal would act on
 * (terminalSafe), and a tab or a line break one space (either would split the row).
 */
export function cellText(text: string): string {
	return terminalSafe(text.replace(/[\t ]*\r?\n[\t ]*|\t/g, ' '));
}

/** The start of `text` in at most `width` columns, whole characters (code points). */
function startOf(text: string, width: number): string {
	let kept = '';
	let used = 0;
	for (const character of text) {
		const columns = textWidth(character);
		if (used + columns > width) break;
		kept += character;
		used += columns;
	}
	return kept;
}

/** The end of `text` in at most `width` columns, whole characters (code points). */
function endOf(text: string, width: number): string {
	const characters = [...text];
	let kept = '';
	let used = 0;
	for (let index = characters.length - 1; index >= 0; index--) {
		const columns = textWidth(characters[index]!);
		if (used + columns > width) break;
		kept = characters[index]! + kept;
		used += columns;
	}
	return kept;
}

/** `text` (made safe: cellText) in at most `width` terminal columns, cut at its end with an ellipsis. */
export function fitCell(text: string, width: number): string {
	if (textWidth(text) <= width) return text;
	return width <= 1 ? startOf(text, width) : `${startOf(text, width - 1)}…`;
}

const separators = /[:/_.@-]/u;

/**
 * A context's name in at most `width` columns, cut in its middle: EKS and GKE names share long prefixes
 * (arn:aws:eks:eu-west-1:123456789012:cluster/prod-a), and the end tells them apart ("arn:aws:eks:…cluster/prod-a").
 * The end gets about two thirds, from the word after a separator when one is near its start.
 */
export function fitContext(text: string, width: number): string {
	if (textWidth(text) <= width) return text;
	if (width < 5) return fitCell(text, width);
	const room = width - 1;
	let end = endOf(text, Math.ceil((room * 2) / 3));
	const endCharacters = [...end];
	const separator = endCharacters.findIndex(character => separators.test(character));
	if (separator >= 0 && separator < endCharacters.length / 3) end = endCharacters.slice(separator + 1).join('');
	const start = [...startOf(text, room - textWidth(end))];
	// A start that misses a separator by a character or two ends at the separator.
	const lastSeparator = start.findLastIndex(character => separators.test(character));
	const head = lastSeparator >= 0 && start.length - lastSeparator - 1 <= 2 ? start.slice(0, lastSeparator + 1) : start;
	return `${head.join('')}…${end}`;
}
/** When a row is too wide, these columns give way first, in turn, down to their floors. */
const columnFloors: Array<[FleetColumn, number]> = [['multus', 18], ['missing', 12], ['server', 16], ['owner', 6]];

/**
 * Still too wide at those floors: whole columns are left out, in this order. The question lists each cluster's
 * server and change, and the reasons under the table say who manages a role; the verdict and the exit code are
 * what the table is for.
 */
const columnDropOrder: readonly FleetColumn[] = ['server', 'owner', 'multus', 'missing', 'took'];

/** Only then do the context (cut in its middle) and the verdict squeeze, down to these; the exit code never. */
const lastFloors: Array<[FleetColumn, number]> = [['context', 12], ['verdict', 11]];

/** Columns a line of these widths takes: two spaces between columns, none after the last. */
function lineWidth(widths: Partial<Record<FleetColumn, number>>): number {
	const values = Object.values(widths);
	return values.reduce((sum, width) => sum + width, 0) + 2 * Math.max(0, values.length - 1);
}

/**
 * Each column's width for these rows in `total` terminal columns: as wide as its heading and cells (as drawn:
 * cellText, in display columns), within its cap. When that is too wide, the multus, missing, server and owner
 * columns give way down to their floors; still too wide, the server, owner, multus, missing and took columns are
 * left out in turn; then the context and the verdict squeeze. The reason gets what is left (at least 12), or is
 * left out. Columns left out have no width.
 */
export function fleetColumnWidths(rows: readonly FleetRow[], total: number): Partial<Record<FleetColumn, number>> {
	const natural: Partial<Record<FleetColumn, number>> = {};
	for (const [column, heading] of fleetColumns) {
		if (column === 'reason') continue;
		natural[column] = Math.min(columnCaps[column], Math.max(heading.length, ...rows.map(row => textWidth(cellText(row.cells[column])))));
	}
	const floors = new Map(columnFloors);
	const shown = new Set(Object.keys(natural) as FleetColumn[]);
	const at = (pick: (column: FleetColumn) => number) => Object.fromEntries([...shown].map(column => [column, pick(column)])) as Partial<Record<FleetColumn, number>>;
	for (const column of columnDropOrder) {
		if (lineWidth(at(column => Math.min(natural[column]!, floors.get(column) ?? natural[column]!))) <= total) break;
		shown.delete(column);
	}
	const widths = at(column => natural[column]!);
	for (const [column, floor] of [...columnFloors, ...lastFloors]) {
		const over = lineWidth(widths) - total;
		if (over <= 0) break;
		if (widths[column] !== undefined) widths[column] = Math.max(Math.min(floor, widths[column]), widths[column] - over);
	}
	const left = total - lineWidth(widths) - 2;
	if (left >= 12) widths.reason = Math.min(left, Math.max('REASON'.length, ...rows.map(row => textWidth(cellText(row.cells.reason)))));
	return widths;
}

/** `text` padded with spaces to `width` terminal columns. */
const padCell = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - textWidth(text)));

/**
 * The table as text lines (the plain printer's, the Ink table's, and the captured frame's shape): a heading, then
 * one line per row, each cell made safe (cellText) before it is measured and cut, so that every line is at most
 * `total` terminal columns wide (wider only below about 31, where the context, verdict and exit code alone do not fit).
 */
export function fleetTableLines(rows: readonly FleetRow[], total: number, widthsOf: readonly FleetRow[] = rows): Line[] {
	const widths = fleetColumnWidths(widthsOf, total);
	const shown = fleetColumns.filter(([column]) => widths[column] !== undefined);
	const last = shown.length - 1;
	const lines: Line[] = [shown.map(([column, heading], index) => ({text: index === last ? heading : padCell(heading, widths[column]! + 2), style: 'bold' as Style}))];
	for (const row of rows) {
		lines.push(shown.map(([column], index) => {
			const width = widths[column]!;
			const text = column === 'context' ? fitContext(cellText(row.cells.context), width) : fitCell(cellText(row.cells[column]), width);
			return {text: index === last ? text : padCell(text, width + 2), style: column === 'verdict' ? row.verdictStyle : column === 'context' ? ('bold' as Style) : ('plain' as Style)};
		}));
	}
	return lines;
}

/**
 * The rows a live table of at most `budget` rows shows, so that the frame stays shorter than the terminal (a taller
 * live frame is drawn again on every tick, and each draw pushes its top into the scrollback once more): the contexts
 * still at work first kept, the finished ones folded into one line under them. The whole table is the last frame.
 */
export function foldFleetRows(rows: readonly FleetRow[], budget: number): {rows: FleetRow[]; folded: Line | undefined} {
	if (rows.length <= budget) return {rows: [...rows], folded: undefined};
	const room = Math.max(1, budget - 1);
	const working = rows.filter(row => !row.finished);
	const shown = new Set(working.slice(0, room));
	for (const row of rows) if (shown.size < room && row.finished) shown.add(row);
	const hidden = rows.filter(row => !shown.has(row));
	const finished = hidden.filter(row => row.finished).length;
	const what = finished === hidden.length ? `${hidden.length} more finished context${hidden.length === 1 ? '' : 's'}` : `${hidden.length} more context${hidden.length === 1 ? '' : 's'} (${finished} finished)`;
	return {rows: rows.filter(row => shown.has(row)), folded: [{text: `… ${what}: the whole table when the run ends`, style: 'dim'}]};
}

/** Under the table: each context that did not end well, with its whole reason and what to do. */
export function fleetReasonLines(state: FleetState): Line[] {
	const lines: Line[] = [];
	for (const entry of entriesOf(state)) {
		const {outcome, failure} = entry.doctor;
		if (!outcome || outcome.exitCode === 0) continue;
		lines.push([{text: `${marks.bad} ${entry.name}`, style: 'bold'}, {text: ` (exit ${outcome.exitCode}): `, style: 'dim'}, {text: outcome.message}]);
		if (failure?.hint) lines.push([{text: `    fix: ${failure.hint}`, style: 'dim'}]);
	}
	return lines;
}
