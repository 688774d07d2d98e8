// Runs nsfwjs itself (its bundled MobileNetV2 on @tensorflow/tfjs's pure-JS CPU backend) as the reference the
// project's ONNX conversion and preprocessing are tested against (specs/models.md §1). All numbers are
// little-endian float32 / int32 files; probabilities are in nsfwjs's class order: Drawing, Hentai, Neutral, Porn, Sexy.
//
// usage: node nsfwjs-reference.cjs NODE_MODULES JOB...
//   --tensors IN OUT           IN: n preprocessed inputs, n × 224 × 224 × 3 float32 (NHWC). Runs the model nsfwjs
//                              loaded on them as one batch. OUT: n × 5 probabilities.
//   --pixels IN OUT TENSORS    IN: n images, each int32 height, int32 width, then height × width × 3 RGB bytes. Each
//                              goes through nsfwjs's own classify() (its preprocessing included), as a tensor like
//                              tf.browser.fromPixels makes. OUT: n × 5 probabilities; TENSORS: the n inputs nsfwjs's
//                              preprocessing made (n × 224 × 224 × 3), read from its input endpoint.
//   --bench IN SECONDS OUT     IN as for --pixels. Classifies the images with nsfwjs's classify() one by one, over and
//                              over for at least SECONDS after a warm-up pass; OUT: JSON {images, seconds, imagesPerSecond}.
//   --keras MODEL_JSON WEIGHTS IN OUT
//                              Any Keras layers model in unpack-nsfwjs.cjs's format (model.json + weights.bin), run by
//                              TensorFlow.js on IN (float32, n × the model's input shape). OUT: its float32 output.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [nodeModules, ...args] = process.argv.slice(2);
const arity = { "--tensors": 2, "--pixels": 3, "--bench": 3, "--keras": 4 };
const jobs = [];
for (let i = 0; i < args.length; i += 1 + arity[args[i]]) {
  if (!(args[i] in arity) || i + arity[args[i]] >= args.length) {
    jobs.length = 0;
    break;
  }
  jobs.push({ kind: args[i], files: args.slice(i + 1, i + 1 + arity[args[i]]) });
}
if (!nodeModules || jobs.length === 0) {
  console.error("usage: node nsfwjs-reference.cjs NODE_MODULES (--tensors IN OUT | --pixels IN OUT TENSORS | --bench IN SECONDS OUT | --keras MODEL_JSON WEIGHTS IN OUT)...");
  process.exit(2);
}

// Both from NODE_MODULES, both CommonJS, so nsfwjs and this script share one TensorFlow.js (and its backend).
const requireFrom = createRequire(path.join(path.resolve(nodeModules), "noop.js"));
const tf = requireFrom("@tensorflow/tfjs");
const CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];
const SIZE = 224;
const PER_IMAGE = SIZE * SIZE * 3;

function floats(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.length % 4 !== 0) throw new Error(`${file}: ${bytes.length} bytes is not a whole number of float32s`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function writeFloats(file, arrays) {
  fs.writeFileSync(file, Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
}

async function loadNsfwjs() {
  const nsfwjs = requireFrom("nsfwjs");
  const info = console.info;
  console.info = () => {}; // nsfwjs announces which model it uses
  try {
    return await nsfwjs.load("MobileNetV2");
  } finally {
    console.info = info;
  }
}

async function runTensors(nsfw, [input, output]) {
  const values = floats(input);
  if (values.length === 0 || values.length % PER_IMAGE !== 0) throw new Error(`${input}: not n × 224 × 224 × 3 floats`);
  const batch = tf.tensor4d(values, [values.length / PER_IMAGE, SIZE, SIZE, 3], "float32");
  const probabilities = nsfw.model.predict(batch);
  writeFloats(output, [await probabilities.data()]);
  tf.dispose([batch, probabilities]);
}

function readPixels(input) {
  const bytes = fs.readFileSync(input);
  const images = [];
  for (let offset = 0; offset < bytes.length;) {
    const height = bytes.readInt32LE(offset);
    const width = bytes.readInt32LE(offset + 4);
    offset += 8;
    const rgb = bytes.subarray(offset, offset + height * width * 3);
    if (height <= 0 || width <= 0 || rgb.length !== height * width * 3) throw new Error(`${input}: bad image record at byte ${offset - 8}`);
    offset += rgb.length;
    images.push({ height, width, rgb });
  }
  return images;
}

// What tf.browser.fromPixels gives: int32 [height, width, 3], alpha dropped.
const fromPixels = ({ height, width, rgb }) => tf.tensor3d(Int32Array.from(rgb), [height, width, 3], "int32");

async function runPixels(nsfw, [input, output, tensorsOutput]) {
  const inputEndpoint = nsfw.model.layers[0].name;
  const probabilities = [];
  const tensors = [];
  for (const pixels of readPixels(input)) {
    const image = fromPixels(pixels);
    const classes = await nsfw.classify(image, CLASSES.length);
    probabilities.push(Float32Array.from(CLASSES, (name) => classes.find((c) => c.className === name).probability));
    const preprocessed = nsfw.infer(image, inputEndpoint);
    tensors.push(await preprocessed.data());
    tf.dispose([image, preprocessed]);
  }
  writeFloats(output, probabilities);
  writeFloats(tensorsOutput, tensors);
}

async function runBench(nsfw, [input, seconds, output]) {
  const images = readPixels(input).map(fromPixels);
  const classifyAll = async () => {
    for (const image of images) await nsfw.classify(image, CLASSES.length);
  };
  await classifyAll();
  const started = process.hrtime.bigint();
  let done = 0;
  let elapsed = 0;
  do {
    await classifyAll();
    done += images.length;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  } while (elapsed < Number(seconds));
  tf.dispose(images);
  fs.writeFileSync(output, JSON.stringify({ images: done, seconds: elapsed, imagesPerSecond: done / elapsed }));
}

async function runKeras([modelJson, weights, input, output]) {
  const json = JSON.parse(fs.readFileSync(modelJson, "utf8"));
  const weightBytes = fs.readFileSync(weights);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weightBytes.buffer.slice(weightBytes.byteOffset, weightBytes.byteOffset + weightBytes.length),
  }));
  const shape = model.inputs[0].shape.slice(1);
  const perItem = shape.reduce((a, b) => a * b, 1);
  const values = floats(input);
  if (values.length === 0 || values.length % perItem !== 0) throw new Error(`${input}: not n × [${shape}] floats`);
  const batch = tf.tensor(values, [values.length / perItem, ...shape], "float32");
  const result = model.predict(batch);
  writeFloats(output, [await result.data()]);
  tf.dispose([batch, result]);
  model.dispose();
}

(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
  let nsfw = null;
  for (const job of jobs) {
    if (job.kind === "--keras") {
      await runKeras(job.files);
      continue;
    }
    nsfw ??= await loadNsfwjs();
    const run = { "--tensors": runTensors, "--pixels": runPixels, "--bench": runBench }[job.kind];
    await run(nsfw, job.files);
  }
})().catch((error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
