/** Sparse autoencoders on residual activations (METHODS.md §17). */
export {
  encodeSaeText,
  evaluateSae,
  type FeatureExample,
  featureTopTexts,
  featureVector,
  type ResidualSaeResult,
  residualRows,
  type SaeFigures,
  saeCorpus,
  trainResidualSae,
} from './features';
export {
  decode as saeDecode,
  decoderDirection,
  encode as saeEncode,
  SAE_FORMAT,
  type SparseAutoencoder,
  saeFromSafetensors,
  saeToSafetensors,
} from './model';
export { type SaeData, type SaeProgress, type SaeTrainOptions, type SaeTrainResult, trainSae } from './train';
