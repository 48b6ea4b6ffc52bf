import {Box, Text} from 'ink';
import {terminalSafe} from '../../ansi.js';
import {fleetTableLines, foldFleetRows, type FleetRow} from '../../fleet/present.js';
import {useTheme} from '../theme.js';

/**
 * One row per context, laid out as the plain table is (fleetTableLines), cut to the terminal's width; at most
 * `maxRows` rows (foldFleetRows), the columns as wide as for all of them. Draws only.
 */
export function FleetTable({rows, width, maxRows = Number.POSITIVE_INFINITY}: {readonly rows: readonly FleetRow[]; readonly width: number; readonly maxRows?: number}) {
	const theme = useTheme();
	const {rows: shown, folded} = foldFleetRows(rows, maxRows);
	const lines = fleetTableLines(shown, width, rows);
	if (folded) lines.push(folded);
	return (
		<Box flexDirection="column">
			{lines.map((line, row) => (
				// Rows keep the kubeconfig's order: the index is their identity.
				// eslint-disable-next-line react/no-array-index-key
				<Text key={row} wrap="truncate-end">
					{line.map((segment, index) => (
						// eslint-disable-next-line react/no-array-index-key
						<Text key={index} {...theme.text[segment.style ?? 'plain']}>
							{terminalSafe(segment.text)}
						</Text>
					))}
				</Text>
			))}
		</Box>
	);
}
