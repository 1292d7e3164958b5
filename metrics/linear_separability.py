"""Linear separability (StyleGAN paper, section 4.2): how well a linear SVM separates attributes in Z and in W."""

from collections import defaultdict

import numpy as np
import tensorflow.compat.v1 as tf

import dnnlib
from metrics import metric_base
from metrics.perceptual_path_length import downsample_to_256

_DRIVE = "https://drive.google.com/uc?id="
classifier_urls = [_DRIVE + file_id for file_id in [  # celebahq-classifier-00-male.pkl ... -39-wearing-necktie.pkl
    "1Q5-AI6TwWhCVM7Muu4tBM7rp5nG_gmCX", "1Q5c6HE__ReW2W8qYAXpao68V1ryuisGo", "1Q7738mgWTljPOJQrZtSMLxzShEhrvVsU", "1QBv2Mxe7ZLvOv1YBTLq-T4DS3HjmXV0o",
    "1QIvKTrkYpUrdA45nf7pspwAqXDwWOLhV", "1QJPH5rW7MbIjFUdZT7vRYfyUjNYDl4_L", "1QPZXSYf6cptQnApWS_T83sqFMun3rULY", "1QPgoAZRqINXk_PFoQ6NwMmiJfxc5d2Pg",
    "1QQPQgxgI6wrMWNyxFyTLSgMVZmRr1oO7", "1QcSphAmV62UrCIqhMGgcIlZfoe8hfWaF", "1QdWTVwljClTFrrrcZnPuPOR4mEuz7jGh", "1QgvEWEtr2mS4yj1b_Y3WKe6cLWL3LYmK",
    "1QidfMk9FOKgmUUIziTCeo8t-kTGwcT18", "1QthrJt-wY31GPtV8SbnZQZ0_UEdhasHO", "1QvCAkXxdYT4sIwCzYDnCL9Nb5TDYUxGW", "1QvLWuwSuWI9Ln8cpxSGHIciUsnmaw8L0",
    "1QxW6THPI2fqDoiFEMaV6pWWHhKI_OoA7", "1R71xKw8oTW2IHyqmRDChhTBkW9wq4N9v", "1RDn_fiLfEGbTc7JjazRXuAxJpr-4Pl67", "1RGBuwXbaz5052bM4VFvaSJaqNvVM4_cI",
    "1RIxOiWxDpUwhB-9HzDkbkLegkd7euRU9", "1RPaNiEnJODdr-fwXhUFdoSQLFFZC7rC-", "1RQH8lPSwOI2K_9XQCZ2Ktz7xm46o80ep", "1RXZM61xCzlwUZKq-X7QhxOg0D2telPow",
    "1RgASVHW8EWMyOCiRb5fsUijFu-HfxONM", "1RkC8JLqLosWMaRne3DARRgolhbtg_wnr", "1RqtbtFT2EuwpGTqsTYJDyXdnDsFCPtLO", "1Rs7hU-re8bBMeRHR-fKgMbjPh-RIbrsh",
    "1RynDJQWdGOAGffmkPVCrLJqy_fciPF9E", "1S0TZ_Hdv5cb06NDaCD8NqVfKy7MuXZsN", "1S3JPhZH2B4gVZZYCWkxoRP11q09PjCkA", "1S3pQuUz-Jiywq_euhsfezWfGkfzLZ87W",
    "1S6nyIl_SEI3M4l748xEdTV2vymB_-lrY", "1S9P5WCi3GYIBPVYiPTWygrYIUSIKGxbU", "1SANviG-pp08n7AFpE9wrARzozPIlbfCH", "1SArgyMl6_z7P7coAuArqUC2zbmckecEY",
    "1SC5JjS5J-J4zXFO9Vk2ZU2DT82TZUza_", "1SDAQWz03HGiu0MSOKyn7gvrp3wdIGoj-", "1SEtrVK-TQUC0XeGkBE9y7L8VXfbchyKX", "1SF_mJIdyGINXoV-I6IAxHB_k5dxiF6M-",
]]


_ATTRIBUTES = ["male", "smiling", "attractive", "wavy-hair", "young", "5-o-clock-shadow", "arched-eyebrows", "bags-under-eyes",
               "bald", "bangs", "big-lips", "big-nose", "black-hair", "blond-hair", "blurry", "brown-hair", "bushy-eyebrows", "chubby",
               "double-chin", "eyeglasses", "goatee", "gray-hair", "heavy-makeup", "high-cheekbones", "mouth-slightly-open", "mustache",
               "narrow-eyes", "no-beard", "oval-face", "pale-skin", "pointy-nose", "receding-hairline", "rosy-cheeks", "sideburns",
               "straight-hair", "wearing-earrings", "wearing-hat", "wearing-lipstick", "wearing-necklace", "wearing-necktie"]
for _index, (_url, _attribute) in enumerate(zip(classifier_urls, _ATTRIBUTES)):
    metric_base.register_official_network(_url, "celebahq-classifier-%02d-%s.pkl" % (_index, _attribute))


def conditional_entropy(p):
    """H(Y|X) in bits from a 2x2 joint table p[x][y] (rows: SVM output X, columns: classifier target Y)."""
    p = np.array(p, dtype=np.float32)
    p = p / np.sum(p)
    p_x = np.sum(p, axis=1)
    p_y = np.sum(p, axis=0)
    h_y = -np.sum([v * np.log2(v) for v in p_y if v > 0])
    mutual = np.sum([p[x, y] * np.log2(p[x, y] / (p_x[x] * p_y[y])) for x in range(2) for y in range(2) if p[x, y] > 0])
    return max(0.0, float(h_y - mutual))


def joint_table(outputs, targets):
    """p[row][col] = fraction of samples with (SVM output, target) == (row, col)."""
    return [[np.mean((outputs == row) & (targets == col)) for col in (0, 1)] for row in (0, 1)]


def _linear_svm():
    try:
        import sklearn.svm
    except ImportError:
        raise dnnlib.util.UserError("The ls metric needs scikit-learn: pip install -e .[metrics]")
    return sklearn.svm.LinearSVC(dual=True)  # the original's solver; newer scikit-learn defaults to dual='auto'


class LS(metric_base.MetricBase):
    def __init__(self, num_samples, num_keep, attrib_indices, minibatch_per_gpu, classifiers=None, **kwargs):
        """classifiers: per attribute index a URL, pickle or 'module.function' (default: NVIDIA's CelebA-HQ classifiers)."""
        assert num_keep <= num_samples
        super().__init__(**kwargs)
        self.num_samples = num_samples
        self.num_keep = num_keep
        self.attrib_indices = list(attrib_indices)
        self.minibatch_per_gpu = int(minibatch_per_gpu)
        self.classifiers = list(classifiers) if classifiers is not None else classifier_urls
        _linear_svm()  # fail before any work when scikit-learn is missing

    def aux_networks(self):
        return [(self.classifiers[i], "Attribute classifier %d" % i, None, 2) for i in self.attrib_indices]  # images and (no) labels

    def _evaluate(self, Gs, num_gpus):
        classifiers = {i: metric_base.load_aux_network(self.classifiers[i], "Attribute classifier %d" % i, self.trust_pickles, num_inputs=2)
                       for i in self.attrib_indices}
        labels = self._label_feeder(Gs)

        def samples(_gpu):
            generator = Gs.clone()
            z = tf.random.normal([self.minibatch_per_gpu] + generator.input_shape[1:])
            w = generator.components.mapping.get_output_for(z, labels.placeholder(self.minibatch_per_gpu), is_validation=True)
            images = downsample_to_256(generator.components.synthesis.get_output_for(w, is_validation=True, randomize_noise=True))
            result = {"latents": z, "dlatents": w[:, -1]}  # z, and w of the last layer
            for attrib_idx, classifier in classifiers.items():
                logit = classifier.get_output_for(images, None)
                result[attrib_idx] = tf.nn.softmax(tf.concat([logit, -logit], axis=1))  # column 0: logit > 0
            return result
        sample_expr = metric_base.per_gpu(num_gpus, samples)

        batches = metric_base.collect(self.name, sample_expr, self.num_samples, self.minibatch_per_gpu * num_gpus, feed=labels.feed)
        results = {key: np.concatenate([batch[key] for batch in batches], axis=0)[:self.num_samples] for key in batches[0].keys()}

        entropies = defaultdict(list)
        for attrib_idx in self.attrib_indices:
            predictions = results[attrib_idx]
            keep = np.argsort(-np.max(predictions, axis=1), kind="stable")[:self.num_keep]
            targets = np.argmax(predictions[keep], axis=1)
            for space in ["latents", "dlatents"]:
                inputs = results[space][keep]
                try:
                    svm = _linear_svm()
                    svm.fit(inputs, targets)
                    svm.score(inputs, targets)
                    outputs = svm.predict(inputs)
                except Exception:  # e.g. a single class among the kept samples
                    outputs = targets
                entropies[space].append(conditional_entropy(joint_table(outputs, targets)))

        self._report_result(2 ** np.sum(entropies["latents"]), suffix="_z")
        self._report_result(2 ** np.sum(entropies["dlatents"]), suffix="_w")
