import {Box, Text} from 'ink';
import type {RolloutView as Rollout} from '../../doctor/model.js';
import {rolloutGlyphs, rolloutGrid, rolloutHeadline, rolloutLegend, rolloutNodeLines, rolloutPendingLines, rolloutStatusLine} from '../../doctor/present.js';
import {useTheme, type TextStyle} from '../theme.js';
import {LineText, StepLines} from './step-lines.js';

interface Props {
	readonly rollout: Rollout;
	/** The width this view may use. */
	readonly width: number;
	/** A grid of one cell per node instead of one line per node (large clusters, short terminals). */
	readonly grid: boolean;
	/** Under the grid, the nodes it waits on (left out when the terminal is too short: kubectl's line counts them). */
	readonly waiting?: boolean;
}

/** Splits a grid row into runs of one glyph, so each run gets its colour. */
function runs(row: string): string[] {
	return row.match(/(.)\1*/gsu) ?? [];
}

function GridRow({row}: {readonly row: string}) {
	const theme = useTheme();
	const styleOf = (glyph: string): TextStyle =>
		glyph === rolloutGlyphs.done ? theme.text.ok : glyph === rolloutGlyphs.new ? theme.text.warn : theme.text.dim;
	return (
		<Text wrap="truncate-end">
			{runs(row).map((run, index) => (
				// eslint-disable-next-line react/no-array-index-key
				<Text key={index} {...styleOf(run[0]!)}>
					{run}
				</Text>
			))}
		</Text>
	);
}

/**
 * The rollout as it happens: kubectl's counts, then the nodes (one line each on small clusters, a grid of one
 * cell per node on large ones), kubectl's status message, and the nodes it still waits on with their reasons.
 */
export function RolloutView({rollout, width, grid, waiting = true}: Props) {
	return (
		<Box flexDirection="column" width={width}>
			<LineText line={rolloutHeadline(rollout)} width={width} />
			{grid ? (
				<>
					{rolloutGrid(rollout, width).map((row, index) => (
						// eslint-disable-next-line react/no-array-index-key
						<GridRow key={index} row={row} />
					))}
					<LineText line={rolloutLegend(rollout.progress, width)} width={width} />
				</>
			) : (
				<StepLines lines={rolloutNodeLines(rollout)} width={width} />
			)}
			<LineText line={rolloutStatusLine(rollout)} width={width} />
			{grid && waiting ? <StepLines lines={rolloutPendingLines(rollout)} width={width} /> : null}
		</Box>
	);
}
