import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describeValue } from '../describe-value';
import { checkOptionNames } from '../distributions/options';
import { checkClassIndex, checkExampleIndex, type FewShotDataset } from '../supervised/few-shot';
import { decodePngLuminance, resizeByAreaAveraging } from './png';

/** Options of `loadImageFolderDataset`. */
export interface ImageFolderOptions {
  /** Width every image is resized to; default 28 (Omniglot as meta-learning papers use it). */
  readonly width?: number;
  /** Height every image is resized to; default 28. */
  readonly height?: number;
  /** Use 1 - luminance, so that dark strokes on white paper (Omniglot) become 1; default false. */
  readonly invert?: boolean;
  /** The dataset's name; default the root folder's name (e.g. `images_background`). */
  readonly name?: string;
}

/** A `FewShotDataset` read from a folder of PNG images, one sub-folder per class. */
export interface ImageFolderDataset extends FewShotDataset {
  /** The absolute path of the root folder. */
  readonly root: string;
  /** Every class's folder relative to the root, `/`-separated (e.g. `Latin/character01`), in class order. */
  readonly classNames: readonly string[];
  /** The absolute path of image `exampleIndex` of class `classIndex`. */
  imagePath(classIndex: number, exampleIndex: number): string;
}

const OPTIONS = ['width', 'height', 'invert', 'name'];

/**
 * Loads a folder of PNG images as a few-shot dataset: every folder under `root` (root included)
 * that directly holds `.png` files and has no sub-folders is one class, so Omniglot's
 * `images_background/<alphabet>/<character>/*.png` works as it is unpacked, and so does
 * `root/<class>/*.png`. Classes are in the order of their paths relative to `root`, sorted
 * folder by folder (as Python's `sorted(os.listdir(...))` at each level, which is how
 * openai/supervised-reptile reads Omniglot), images by file name; both compare code units, so
 * the order is the same on every machine. Names starting with `.` are skipped; `.png` is matched
 * in any case.
 *
 * Every image is decoded EAGERLY, when this is called (Omniglot's 19,280 background images take
 * a few seconds and 60 MB at 28 x 28): converted to luminance in [0, 1] (see the decoder: gray,
 * RGB, palette, with or without alpha, bit depths 1 to 8, not interlaced), optionally inverted,
 * resized to `width` x `height` by area averaging and flattened row-major, so
 * `inputSize = width * height`. `readExample` returns a copy.
 *
 * Errors name the path: a missing root, a root with no classes, a folder holding both images and
 * sub-folders, and an image that cannot be decoded (with its class and the reason).
 */
export function loadImageFolderDataset(root: string, options: ImageFolderOptions = {}): ImageFolderDataset {
  const id = 'loadImageFolderDataset';
  if (typeof root !== 'string' || root.length === 0)
    throw new TypeError(`${id}: root must be a folder path, got ${describeValue(root)}`);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      `${id}: options must be an object { width?, height?, invert?, name? }, got ${describeValue(options)}`,
    );
  checkOptionNames(id, options as Record<string, unknown>, OPTIONS);
  const width = readSize(id, 'width', options.width ?? 28);
  const height = readSize(id, 'height', options.height ?? 28);
  const invert = options.invert ?? false;
  if (typeof invert !== 'boolean')
    throw new TypeError(`${id}: options.invert must be true or false, got ${describeValue(invert)}`);
  const absoluteRoot = resolve(root);
  const name = options.name ?? basename(absoluteRoot);
  if (typeof name !== 'string')
    throw new TypeError(`${id}: options.name must be a string, got ${describeValue(name)}`);

  let rootStats: ReturnType<typeof statSync>;
  try {
    rootStats = statSync(absoluteRoot);
  } catch (error) {
    throw new Error(`${id}: cannot read the root folder ${absoluteRoot}: ${(error as Error).message}`);
  }
  if (!rootStats.isDirectory()) throw new Error(`${id}: root ${absoluteRoot} is not a folder`);

  const classes: { name: string; files: string[] }[] = [];
  findClasses(id, absoluteRoot, '', classes);
  if (classes.length === 0)
    throw new Error(
      `${id}: no classes under ${absoluteRoot}: expected folders of .png images (root/<class>/*.png or root/<alphabet>/<character>/*.png)`,
    );

  const inputSize = width * height;
  const images = classes.map(({ name: className, files }) => {
    const pixels = new Float32Array(files.length * inputSize);
    files.forEach((file, i) => {
      let decoded: ReturnType<typeof decodePngLuminance>;
      try {
        decoded = decodePngLuminance(readFileSync(file), file);
      } catch (error) {
        throw new Error(
          `${id}: class ${JSON.stringify(className)}: cannot read image ${(error as Error).message}`,
        );
      }
      if (invert)
        for (let p = 0; p < decoded.pixels.length; p += 1) decoded.pixels[p] = 1 - decoded.pixels[p]!;
      pixels.set(
        resizeByAreaAveraging(decoded.pixels, decoded.width, decoded.height, width, height),
        i * inputSize,
      );
    });
    return pixels;
  });

  const dataset: ImageFolderDataset = {
    name,
    classCount: classes.length,
    inputSize,
    root: absoluteRoot,
    classNames: Object.freeze(classes.map((entry) => entry.name)),
    exampleCount(classIndex) {
      checkClassIndex(dataset, classIndex);
      return classes[classIndex]!.files.length;
    },
    readExample(classIndex, exampleIndex) {
      checkClassIndex(dataset, classIndex);
      checkExampleIndex(dataset, classIndex, exampleIndex, classes[classIndex]!.files.length);
      return images[classIndex]!.slice(exampleIndex * inputSize, (exampleIndex + 1) * inputSize);
    },
    imagePath(classIndex, exampleIndex) {
      checkClassIndex(dataset, classIndex);
      checkExampleIndex(dataset, classIndex, exampleIndex, classes[classIndex]!.files.length);
      return classes[classIndex]!.files[exampleIndex]!;
    },
  };
  return dataset;
}

/** Appends the classes under `folder` (relative path `relative`) to `classes`. */
function findClasses(
  id: string,
  folder: string,
  relative: string,
  classes: { name: string; files: string[] }[],
): void {
  const images: string[] = [];
  const folders: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && statSync(path).isDirectory());
    if (isDirectory) folders.push(entry.name);
    else if (entry.name.toLowerCase().endsWith('.png')) images.push(entry.name);
  }
  if (images.length > 0 && folders.length > 0)
    throw new Error(
      `${id}: folder ${folder} holds both .png images and sub-folders; a class is a folder of images only (move the images into a sub-folder of their own)`,
    );
  if (images.length > 0) {
    images.sort(compareCodeUnits);
    classes.push({ name: relative === '' ? '.' : relative, files: images.map((file) => join(folder, file)) });
    return;
  }
  for (const sub of folders.sort(compareCodeUnits))
    findClasses(id, join(folder, sub), relative === '' ? sub : `${relative}/${sub}`, classes);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readSize(id: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 4096)
    throw new RangeError(
      `${id}: options.${name} must be an integer in [1, 4096], got ${describeValue(value)}`,
    );
  return value;
}
