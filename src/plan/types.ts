// The layer planner's data: what it reads (resolved sets, sizes, update hints) and the
// layer DAG it returns. Pure values, no paths.

export interface PlanPackage {
  /** Identity of the exact package: its checksum. */
  key: string;
  /** The package name: what stays the same across its updates. */
  name: string;
  nevra: string;
  /** Installed bytes (the estimate before building; what a layer holding it adds). */
  size: number;
  /**
   * When the package last changed (seconds): older = updated less often = lower in the
   * stack. Build time from the metadata, or a changelog date when the caller has one.
   */
  changed: number;
}

export interface PlanImage {
  name: string;
  /** Package keys of the image's resolved set. */
  packages: string[];
  /** This image's layer budget, its top layers counted; default: the input's. */
  maxLayers?: number;
  /**
   * Layers written above the planned ones (the rpm database), with their estimated bytes:
   * they take from the budget, and every update of any package re-pulls them.
   */
  top?: { layers: number; bytes: number };
}

export interface PlanInput {
  arch: string;
  images: PlanImage[];
  packages: Map<string, PlanPackage>;
  /** Per image unless the image gives its own, every layer counted. */
  maxLayers: number;
}

export interface PlannedLayer {
  /** Stable: sha256 of the sorted package keys. */
  id: string;
  /** Package keys, sorted. */
  packages: string[];
  /** The images that use it, sorted. */
  images: string[];
  bytes: number;
}

/** A shared layer an image does not use, its packages copied into the image's own layer instead. */
export interface Trade {
  image: string;
  /** Packages that were shared with `sharedWith` and are now duplicated into the image's own layer. */
  packages: number;
  bytes: number;
  sharedWith: string[];
}

export interface ImageFigures {
  /** Every layer, its top layers counted. */
  layers: number;
  /** Its packages' bytes and its top layers' (estimated). */
  bytes: number;
  /** Of those, its top layers' (the rpm database): re-pulled with every update. */
  topBytes: number;
  /** Bytes re-pulled when one of its packages changes: over its packages. */
  repullWorst: number;
  repullMedian: number;
}

export interface PlanFigures {
  /** Every layer counted once: what a registry stores. */
  storedBytes: number;
  /** The images' sizes added up: what one layer per image stores. */
  sumOfImages: number;
  /** Every package stored exactly once. */
  floor: number;
  images: Record<string, ImageFigures>;
}

export interface ArchPlan {
  arch: string;
  /** Bottom first: every image's layers appear in this order. */
  layers: PlannedLayer[];
  /** image → its layer ids, bottom first. */
  images: Record<string, string[]>;
  traded: Trade[];
  figures: PlanFigures;
}
