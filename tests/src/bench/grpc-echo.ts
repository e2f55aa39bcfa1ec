/**
/**
 * The trivial grpc-js server `bench predict` and `bench recommend` compare the services with: the
 * same PredictionService/Predict and RecommenderService/Recommend, SimilarItems methods (protobuf-es
 * codecs through libs/grpc, reflection, one process), answering each request at once, with no
 * feature read and no model. Predict's answer is Predict-sized: a Prediction with the fields the
 * service fills (the shopper named, the model, five contributions, sequence and times), built and
 * serialized per call as the service does, so the ratio compares the work behind an answer, not
 * the answers' sizes. Usage: node grpc-echo.js PORT.
 */
import { create } from '@bufbuild/protobuf';
import {
  FeatureContributionSchema,
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

const FEATURES = ['shopper_product_view_count_24h', 'shopper_add_to_cart_count_7d', 'shopper_checkout_count_7d', 'shopper_seconds_since_last_event_30d', 'session_product_views_24h'];
let sequence = 0n;

const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
addService(server, PredictionService, {
  predict: (call, callback) => {
    const now = Date.now();
    callback(
      null,
      create(PredictResponseSchema, {
        prediction: create(PredictionSchema, {
          shopperKey: call.request.shopperKey,
          sessionId: call.request.sessionId,
          purchaseProbability: 0.0421,
          logit: -3.1234,
          model: 'propensity',
          modelVersion: '20261202T062251.357Z-1c4e46fe',
          featureAgeMs: 1234n,
          newestEventTimeMs: BigInt(now - 1234),
          snapshotVersion: 17n,
          topContributions: FEATURES.map((feature, i) => create(FeatureContributionSchema, { feature, value: i + 0.5, contribution: 0.1 * (i + 1) })),
          explanationMethod: 'exact',
          baselineLogit: -2.65,
          sequence: ++sequence,
          predictedAtMs: BigInt(now),
          arm: 'champion',
        }),
      }),
    );
  },
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
