// Unwraps the nsfwjs MobileNetV2 model from the JavaScript modules it ships in (specs/models.md §1) into plain
// files the project's C# converter reads: model.json (Keras topology + weights manifest) and weights.bin (the
// uint8-quantised weights, base64-decoded). No conversion happens here; that is src/Moderation/Models/Onnx.
//
// usage: node unpack-nsfwjs.cjs NODE_MODULES OUT_DIR
"use strict";
const fs = require("fs");
const path = require("path");

const [nodeModules, outDir] = process.argv.slice(2);
if (!nodeModules || !outDir) {
  console.error("usage: node unpack-nsfwjs.cjs NODE_MODULES OUT_DIR");
  process.exit(2);
}

const packageDir = path.join(nodeModules, "nsfwjs");
const version = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
const modelDir = path.join(packageDir, "dist", "models", "mobilenet_v2");
const model = require(path.join(modelDir, "model.min.js"));
const weightsBase64 = require(path.join(modelDir, "group1-shard1of1.min.js"));
if (!model.modelTopology || !Array.isArray(model.weightsManifest) || typeof weightsBase64 !== "string") {
  console.error(`nsfwjs ${version}: the model modules do not have the expected shape (modelTopology, weightsManifest, base64 weights)`);
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
const weights = Buffer.from(weightsBase64, "base64");
fs.writeFileSync(path.join(outDir, "weights.bin"), weights);
fs.writeFileSync(path.join(outDir, "model.json"),
  JSON.stringify({ package: "nsfwjs", version, modelTopology: model.modelTopology, weightsManifest: model.weightsManifest }));
console.log(`nsfwjs ${version}: ${model.modelTopology.model_config.config.layers.length} layers, ${weights.length} weight bytes`);
