/**
 * The trivial grpc-js server `bench predict` (and `bench recommend`) compares the service with: the same
 * PredictionService/Predict method (and RecommenderService/Recommend, SimilarItems) (protobuf-es codecs, reflection, one process), answering each
 * request at once with the shopper it named and no other work. Usage: node grpc-echo.js PORT.
 */
import { create } from '@bufbuild/protobuf';
import {
  file_clickwise_v1_prediction,
  file_clickwise_v1_recommender,
  PredictionSchema,
  PredictionService,
  PredictResponseSchema,
  RecommendationSchema,
  RecommenderService,
  RecommendResponseSchema,
  SimilarItemsResponseSchema,
} from '@clickwise/contracts';
import { addReflection, addService, bindServer } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';

const server = new grpc.Server();
addService(server, PredictionService, {
  predict: (call, callback) => callback(null, create(PredictResponseSchema, { prediction: create(PredictionSchema, { shopperKey: call.request.shopperKey }) })),
  predictBatch: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'echo serves Predict only' }),
  watchPredictions: (call) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'echo serves Predict only' }),
});
// `bench recommend`'s anchor: Recommend and SimilarItems answered at once with what the request named.
addService(server, RecommenderService, {
  recommend: (call, callback) => callback(null, create(RecommendResponseSchema, { recommendation: create(RecommendationSchema, { shopperKey: call.request.shopperKey }) })),
  similarItems: (call, callback) => callback(null, create(SimilarItemsResponseSchema, { itemId: call.request.itemId, recommendation: create(RecommendationSchema, {}) })),
});
addReflection(server, [file_clickwise_v1_prediction, file_clickwise_v1_recommender]);
const port = await bindServer(server, `127.0.0.1:${process.argv[2] ?? '0'}`);
process.stdout.write(`${port}\n`);
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
