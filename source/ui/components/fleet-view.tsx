import {Box, Static, Text} from 'ink';
import type {FleetState} from '../../fleet/machine.js';
import {fleetHeading, fleetOutcomeLine, fleetQuestionLines, fleetReasonLines, fleetRows} from '../../fleet/present.js';
import {cancellingLine, quitLine} from '../../doctor/present.js';
import {fleetKeyHints} from '../keys.js';
import {useTheme, type TextStyle} from '../theme.js';
import {lineRows, linesRows, textRows} from '../measure.js';
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

const clusterState = 'Each cluster is where its row says.';

/** The fleet in a terminal: a title, the live table, then the question, or the reasons and the outcome. */
export function FleetView({state, now, columns, rows = Number.POSITIVE_INFINITY, mode, quitArmed, quit}: Props) {
	const theme = useTheme();
	const width = Math.max(1, columns);
	const question = state.question ? fleetQuestionLines(state, state.question.contexts, mode.restart) : undefined;
	const finished = state.exitCode !== undefined;
	const title: Array<[string, TextStyle]> = [['kubectl multus doctor', theme.heading], [`  ${fleetHeading(state.order.length, mode.parallel)}`, theme.text.accent]];
	if (mode.check) title.push(['  --check: diagnose only', theme.text.warn]);
	if (mode.dryRun !== 'none') title.push([`  --dry-run=${mode.dryRun}: changes nothing`, theme.text.warn]);
	// Rows drawn around the table, counted as they wrap (measure.ts, as the doctor's layout counts them): the title
	// and its margin, the table's header, the question, the cancelling or quit line, and one spare row for the cursor.
	const questionRows = question ? 1 + linesRows(question.changes, width, true) + lineRows(question.question, width) + textRows(fleetKeyHints.confirm, width) : 0;
	const closingRows = quit ? lineRows(quitLine(clusterState), width) : state.cancelling ? lineRows(cancellingLine(quitArmed), width) : 0;
	const around = textRows(title.map(([text]) => text).join(''), width) + 3 + questionRows + closingRows;
	const maxRows = finished ? Number.POSITIVE_INFINITY : Math.max(3, rows - around);
	const view = (
		<Box flexDirection="column">
			<Text>
				{title.map(([text, style]) => (
					<Text key={text} {...style}>
						{text}
					</Text>
				))}
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
			{state.cancelling && !finished && !quit ? <LineText line={cancellingLine(quitArmed, state.cancelledBy)} /> : null}
			{quit ? <LineText line={quitLine(clusterState)} /> : null}
			{finished ? (
				<Box flexDirection="column" marginTop={1}>
					<StepLines lines={fleetReasonLines(state)} width={width} />
					<LineText line={fleetOutcomeLine(state)} base={theme.heading} />
				</Box>
			) : null}
		</Box>
	);
	// The last frame is printed once, as the doctor's is (doctor-view.tsx).
	return finished ? (
		<Static items={finalItems}>
			{key => (
				<Box key={key} width={columns}>
					{view}
				</Box>
			)}
		</Static>
	) : (
		view
	);
}

const finalItems = ['final'];
