import {withRbacSnapshot} from '../../kube/snapshot.js';
import {done, type Step} from './step.js';

/**
 * Connect: the client for the connection flags, and the server's version (which proves it is Kubernetes). The flow's
 * steps share one read of the RBAC lists until they write (kube/snapshot.ts).
 */
export const connectStep: Step = {
	id: 'connect',
	async run({env, options, facts, emit}) {
		const {client, info} = env.connect(options.connection);
		facts.client = withRbacSnapshot(client);
		const serverVersion = await facts.client.serverVersion();
		facts.connection = {...info, serverVersion};
		emit({type: 'connected', connection: facts.connection});
		return done;
	},
};
