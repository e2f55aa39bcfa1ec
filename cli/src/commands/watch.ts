import { PredictionService, type WatchPredictionsResponse } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { bold, dim, info, parseCommandArgs, type Command } from '../command.js';

const help = `Usage: clickwise watch [SHOPPER…] [--key KEY] [--address HOST:PORT] [--json]

Streams predictions from the prediction service (gRPC WatchPredictions) as shoppers click: one line
each with the shopper, probability, model version, the events it covers and the top contributions.
With no SHOPPER, every shopper (the key needs the "watch-all" scope; else "read").

  --key KEY            API key (default: CLICKWISE_API_KEY); create one with
                       clickwise keys create --name watch --scopes read,watch-all
  --address HOST:PORT  the service (default 127.0.0.1:PREDICTION_GRPC_PORT, 50053)
  --json               one JSON object per prediction instead`;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'print predictions as they stream (gRPC WatchPredictions)',
  help,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { key: { type: 'string' }, address: { type: 'string' } });
    if (values.help) {
      info(help);
      return 0;
    }
    const key = values.key ?? process.env.CLICKWISE_API_KEY;
    if (!key) {
      info(`watch needs an API key: --key KEY or CLICKWISE_API_KEY\n\n${help}`);
      return 2;
    }
    const address = values.address ?? `127.0.0.1:${process.env.PREDICTION_GRPC_PORT || '50053'}`;
    const client = createClient(PredictionService, address);
    const stream = client.watchPredictions(positionals.length > 0 ? { shopperKeys: positionals } : { all: true }, { metadata: { 'x-api-key': key } });
    stream.on('metadata', () => info(dim(`watching ${positionals.length > 0 ? positionals.join(', ') : 'every shopper'} at ${address}; Ctrl-C stops`)));
    process.once('SIGINT', () => stream.cancel());
    return new Promise<number>((resolve) => {
      stream.on('data', ({ prediction: p }: WatchPredictionsResponse) => {
        if (!p) return;
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ ...p, eventTimeMs: Number(p.eventTimeMs), predictedAtMs: Number(p.predictedAtMs), snapshotVersion: Number(p.snapshotVersion), firstNoticeTimeMs: Number(p.firstNoticeTimeMs) })}\n`);
          return;
        }
        const top = p.topFeatures.slice(0, 3).map((c) => `${c.feature}=${c.value} (${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)})`).join(', ');
        process.stdout.write(
          `${new Date(Number(p.predictedAtMs)).toISOString()}  ${bold(p.shopperKey)}  p=${p.purchaseProbability.toFixed(4)}  ${p.modelVersion}  ` +
            `${p.eventIds.length} event${p.eventIds.length === 1 ? '' : 's'} ${p.eventIds.slice(0, 3).join(',')}${p.eventIds.length > 3 ? ',…' : ''}  trace ${p.traceIds[0] || '-'}  ${dim(top)}\n`,
        );
      });
      stream.on('error', (error: grpc.ServiceError) => {
        client.close();
        if (error.code === grpc.status.CANCELLED) resolve(0); // Ctrl-C
        else {
          info(`watch: ${error.details || error.message}`);
          resolve(1);
        }
      });
      stream.on('end', () => {
        client.close();
        resolve(0);
      });
    });
  },
};
