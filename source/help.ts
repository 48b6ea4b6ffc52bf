// The usage text, and when the arguments ask for nothing else: on its own, so that `--help` loads nothing else
// (source/entry.ts answers it before the CLI loads).
import {ExitCode} from './exit-codes.js';

/** The commands, in the order the usage text lists them. */
export const commands = ['doctor', 'scan', 'undo', 'version'] as const;

/** True when started under kubectl's completion name (kubectl_complete-multus[.exe], e.g. a symlink to this binary). */
export function invokedAsCompleter(argv0: string): boolean {
	return /^kubectl_complete-/.test(argv0.split(/[\\/]/).at(-1) ?? '');
}

/**
 * The exit code when the arguments ask for the usage text and nothing else (`--help`, `-h` or `help`, alone or
 * after a command; or no arguments at all, a usage error as kubectl's own commands make it), else undefined.
 * Any other argument goes to the flag parser, which prints the same text for `--help` among other flags.
 */
export function helpOnly(argv: readonly string[], argv0: string): ExitCode | undefined {
	if (invokedAsCompleter(argv0)) return undefined;
	if (argv.length === 0) return ExitCode.Usage;
	const asks = argv.length <= 2 && ['--help', '-h', 'help'].includes(argv.at(-1)!) && (argv.length === 1 || (commands as readonly string[]).includes(argv[0]!));
	return asks ? ExitCode.Ok : undefined;
}
export const helpText = `
  Diagnose and fix Multus-CNI's RBAC: the thick daemon's pod informer needs list and watch on pods.

  Usage
    kubectl multus doctor [flags]        find Multus, detect the forbidden list/watch error, fix it and prove it
    kubectl multus scan [FILE|-] [flags] classify Multus log text offline (kubectl logs, CRI log files, bundles)
    kubectl multus undo [flags]          restore the ClusterRole rules that doctor replaced
    kubectl multus version               print version and commit

  Doctor flags
    --check                  diagnose only, change nothing
    -y, --yes                apply without asking (required to change anything without a terminal)
    --dry-run[=client|server] show everything that would change, change nothing (bare --dry-run means client)
    --no-restart             patch the ClusterRole but do not restart the DaemonSet
    --force                  patch objects that another tool manages (Helm, operators, GitOps)
    --emit patch|manifest    print the fix as a file and change nothing: patch = the RFC 6902 JSON patch for
                             kubectl patch clusterrole NAME --type=json --patch-file FILE; manifest = the whole
                             ClusterRole with the added rule, for kubectl apply -f or a GitOps repository
                             (exit 1 when there is something to fix, 0 and nothing printed when healthy)
    --timeout DURATION       how long to wait for the rollout, and for an answer after a patch or
                             restart got none (default 5m, 0 waits forever)
    --daemonset NAME         the Multus DaemonSet (default: discovered by image, labels and command)
    --log-pods N             how many Multus pods to read logs from (default 5)
    --log-bytes N            bytes of log to read from each pod (default 262144)
    -o, --output FORMAT      text (default), json or yaml

  Connection flags (as kubectl)
    --kubeconfig PATH        kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    --context NAME           kubeconfig context
    --cluster NAME           kubeconfig cluster
    --user NAME              kubeconfig user
    -n, --namespace NAME     namespace of the Multus DaemonSet (default: all namespaces)
    --as USER                impersonate a user or service account
    --as-group GROUP         impersonate a group (repeatable)
    --as-uid UID             impersonate a UID
    --request-timeout DUR    timeout of each API request (default 30s, 0 = none)

  Exit codes
    0 healthy or fixed   1 problem found and not fixed   2 usage error   3 cannot reach the cluster
    4 missing permission   5 rollout failed or timed out

  Examples
    kubectl multus doctor                 guided fix in a terminal
    kubectl multus doctor --check -o json  diagnose for automation
    kubectl multus doctor --yes           fix without asking
    kubectl multus doctor --emit manifest > multus-clusterrole.yaml   the fixed ClusterRole for a GitOps repo
    kubectl logs ds/kube-multus-ds -n kube-system | kubectl multus scan -
`;
