import {Box, Text} from 'ink';
import type {FleetState} from '../../fleet/machine.js';
import {fleetHeading, fleetOutcomeLine, fleetQuestionLines, fleetReasonLines, fleetRows} from '../../fleet/present.js';
import {cancellingLine, quitLine} from '../../doctor/present.js';
import {fleetKeyHints} from '../keys.js';
import {useTheme} from '../theme.js';
import type {Line} from '../../doctor/present.js';
import {LineText, StepLines} from './step-lines.js';
import {FleetTable} from './fleet-table.js';

interface Props {
	readonly state: FleetState;
	/** The clock the running rows' times are read against. */
	readonly now: number;
	readonly columns: number;
	/** The terminal's height: while the run goes on, the frame stays shorter (the table folds its finished rows). */
	readonly rows?: number;
	readonly mode: {check: boolean; dryRun: string; restart: boolean; parallel: number};
	readonly quitArmed: boolean;
	readonly quit: boolean;
}

/** How many terminal rows `lines` take at `width` columns, each wrapped (at least one row each). */
function wrappedLineCount(lines: readonly Line[], width: number): number {
	return lines.reduce((sum, line) => sum + Math.max(1, Math.ceil(line.reduce((length, segment) => length + segment.text.length, 0) / width)), 0);
}

/** The fleet in a terminal: a title, the live table, then the question, or the reasons and the outcome. */
export function FleetView({state, now, columns, rows = Number.POSITIVE_INFINITY, mode, quitArmed, quit}: Props) {
	const theme = useTheme();
	const width = Math.max(40, columns - 1);
	const question = state.question ? fleetQuestionLines(state, state.question.contexts, mode.restart) : undefined;
	const finished = state.exitCode !== undefined;
	// Lines drawn around the table: the title and its margin, the table's header, the question (as it wraps), the
	// cancelling or quit line, and one spare row for the cursor.
	const around = 4 + (question ? 1 + wrappedLineCount([...question.changes, question.question], width) + Math.ceil(fleetKeyHints.confirm.length / width) : 0) + (state.cancelling || quit ? 1 : 0);
	const maxRows = finished ? Number.POSITIVE_INFINITY : Math.max(3, rows - around);
	return (
		<Box flexDirection="column">
			<Text>
				<Text {...theme.heading}>kubectl multus doctor</Text>
				<Text {...theme.text.accent}>{`  ${fleetHeading(state.order.length, mode.parallel)}`}</Text>
				{mode.check ? <Text {...theme.text.warn}>  --check: diagnose only</Text> : null}
				{mode.dryRun === 'none' ? null : <Text {...theme.text.warn}>{`  --dry-run=${mode.dryRun}: changes nothing`}</Text>}
			</Text>
			<Box marginTop={1}>
				<FleetTable rows={fleetRows(state, now)} width={width} maxRows={maxRows} />
			</Box>
			{question ? (
				<Box flexDirection="column" marginTop={1}>
					<StepLines lines={question.changes} width={width} />
					<LineText line={question.question} />
					<Text wrap="wrap" {...theme.text.dim}>
						{fleetKeyHints.confirm}
					</Text>
				</Box>
			) : null}
			{state.cancelling && !finished && !quit ? <LineText line={cancellingLine(quitArmed)} /> : null}
			{quit ? <LineText line={quitLine('Each cluster is where its row says.')} /> : null}
			{finished ? (
				<Box flexDirection="column" marginTop={1}>
					<StepLines lines={fleetReasonLines(state)} width={width} />
					<LineText line={fleetOutcomeLine(state)} base={theme.heading} />
				</Box>
			) : null}
		</Box>
	);
}
