import {Box, Text} from 'ink';
import {terminalSafe} from '../../ansi.js';
import {fleetTableLines, type FleetRow} from '../../fleet/present.js';
import {useTheme} from '../theme.js';

/** One row per context, laid out as the plain table is (fleetTableLines), cut to the terminal's width. Draws only. */
export function FleetTable({rows, width}: {readonly rows: readonly FleetRow[]; readonly width: number}) {
	const theme = useTheme();
	return (
		<Box flexDirection="column">
			{fleetTableLines(rows, width).map((line, row) => (
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
