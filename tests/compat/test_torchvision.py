"""The torchvision subset: transforms on PIL images and tensors, the datasets on tiny local files in torchvision's
layouts, make_grid and save_image. torchvision cannot be installed beside torch 2.13 here, so the expected
values are worked out from its documented algorithms (and torch's interpolate for the antialiased resize)."""
import gzip
import hashlib
import pickle
import struct

import numpy as np
import pytest
import torch
from PIL import Image

import backprop as bp
from backprop.compat.torchvision import datasets, transforms, utils


def _grey(array):
    return Image.fromarray(np.asarray(array, dtype=np.uint8))


def _values(tensor):
    return tensor.detach().numpy()


# --- transforms ---------------------------------------------------------------------------------------------

def test_to_tensor_scales_uint8_to_float32_channels_first():
    pixels = np.array([[0, 51], [102, 255]], dtype=np.uint8)
    for picture in (_grey(pixels), pixels):
        out = transforms.ToTensor()(picture)
        assert isinstance(out, bp.Tensor) and out.shape == (1, 2, 2) and str(out.dtype).endswith("float32")
        np.testing.assert_allclose(_values(out), [[[0.0, 0.2], [0.4, 1.0]]], rtol=1e-6)
    rgb = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    out = transforms.ToTensor()(Image.fromarray(rgb))
    np.testing.assert_allclose(_values(out), rgb.transpose(2, 0, 1) / 255, rtol=1e-6)
    floats = np.full((2, 2, 1), 7.0, dtype=np.float64)  # other dtypes are not scaled, as torchvision
    assert _values(transforms.ToTensor()(floats)).tolist() == [[[7.0, 7.0], [7.0, 7.0]]]


def test_pil_to_tensor_and_convert_image_dtype():
    pixels = np.array([[0, 128], [200, 255]], dtype=np.uint8)
    as_uint8 = transforms.PILToTensor()(_grey(pixels))
    assert _values(as_uint8).dtype == np.uint8 and _values(as_uint8).tolist() == [pixels.tolist()]
    as_float = transforms.ConvertImageDtype(bp.float32)(as_uint8)
    np.testing.assert_allclose(_values(as_float), [pixels / 255], rtol=1e-6)
    # float -> uint8: x (255 + 1 - 0.001), truncated: 0.5 -> 127.9995 -> 127, 1.0 -> 255.999 -> 255
    back = transforms.ConvertImageDtype(bp.uint8)(bp.tensor([[[0.0, 0.5, 1.0]]]))
    assert _values(back).tolist() == [[[0, 127, 255]]]


def test_normalize_per_channel_and_refuses_pil():
    x = bp.tensor([[[1.0, 3.0]], [[0.0, 4.0]]])  # (2, 1, 2)
    out = transforms.Normalize([1.0, 2.0], [2.0, 4.0])(x)
    np.testing.assert_allclose(_values(out), [[[0.0, 1.0]], [[-0.5, 0.5]]])
    with pytest.raises(TypeError, match="Input tensor should be a torch tensor"):
        transforms.Normalize([0.5], [0.5])(_grey([[1]]))


def test_compose_and_lambda():
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,)),
                                   transforms.Lambda(lambda t: t * 10)])
    out = pipeline(_grey([[0, 255]]))
    np.testing.assert_allclose(_values(out), [[[-10.0, 10.0]]], rtol=1e-6)
    assert "Normalize" in repr(pipeline)


@pytest.mark.parametrize("size_in, size_out", [((8, 12), (4, 5)), ((5, 7), (9, 3)), ((6, 6), (6, 6)), ((10, 4), (3, 4))])
def test_resize_of_a_tensor_is_torchs_antialiased_bilinear(size_in, size_out):
    x = np.random.default_rng(0).random((2, *size_in)).astype(np.float32)
    out = transforms.Resize(size_out)(bp.tensor(x))
    expected = torch.nn.functional.interpolate(torch.from_numpy(x)[None], size=size_out, mode="bilinear",
                                               align_corners=False, antialias=True)[0]
    np.testing.assert_allclose(_values(out), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_resize_of_an_int_sets_the_shorter_side():
    image = Image.fromarray(np.zeros((10, 20), dtype=np.uint8))  # height 10, width 20
    assert transforms.Resize(5)(image).size == (10, 5)  # PIL sizes are (width, height)
    assert transforms.Resize((3, 4))(image).size == (4, 3)
    assert transforms.Resize(7)(bp.zeros(1, 21, 9)).shape == (1, 16, 7)  # int(7 * 21 / 9) = 16
    pixels = np.random.default_rng(1).integers(0, 256, (9, 13), dtype=np.uint8)
    resized = transforms.Resize((4, 6))(_grey(pixels))
    assert np.array_equal(np.asarray(resized), np.asarray(_grey(pixels).resize((6, 4), Image.BILINEAR)))


def test_center_crop_takes_the_rounded_middle():
    grid = np.arange(36, dtype=np.uint8).reshape(6, 6)
    # (6 - 3) / 2 = 1.5 rounds (half to even) to 2; (6 - 4) / 2 = 1
    out = transforms.CenterCrop((3, 4))(bp.tensor(grid[None].astype(np.float32)))
    np.testing.assert_array_equal(_values(out)[0], grid[2:5, 1:5])
    assert np.array_equal(np.asarray(transforms.CenterCrop((3, 4))(_grey(grid))), grid[2:5, 1:5])
    padded = transforms.CenterCrop(4)(bp.ones(1, 2, 2))  # larger than the image: zeros around it
    np.testing.assert_array_equal(_values(padded)[0], [[0, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]])


def test_random_crop_with_padding_is_a_window_of_the_padded_image():
    pixels = np.arange(1, 10, dtype=np.uint8).reshape(3, 3)
    padded = np.pad(pixels, 1)
    windows = {padded[i:i + 3, j:j + 3].tobytes() for i in range(3) for j in range(3)}
    bp.manual_seed(0)
    seen = set()
    for _ in range(40):
        out = np.asarray(transforms.RandomCrop(3, padding=1)(_grey(pixels)))
        assert out.tobytes() in windows
        seen.add(out.tobytes())
        t = _values(transforms.RandomCrop(3, padding=1)(bp.tensor(pixels[None].astype(np.float32))))[0]
        assert t.astype(np.uint8).tobytes() in windows
    assert len(seen) > 3  # the place is random
    with pytest.raises(ValueError, match="larger than input image size"):
        transforms.RandomCrop(5)(_grey(pixels))


def test_flips_and_grayscale():
    pixels = np.array([[1, 2, 3]], dtype=np.uint8)
    assert np.asarray(transforms.RandomHorizontalFlip(p=1.0)(_grey(pixels))).tolist() == [[3, 2, 1]]
    assert np.asarray(transforms.RandomHorizontalFlip(p=0.0)(_grey(pixels))).tolist() == [[1, 2, 3]]
    assert _values(transforms.RandomVerticalFlip(p=1.0)(bp.tensor([[[1.0], [2.0]]]))).tolist() == [[[2.0], [1.0]]]
    rgb = bp.tensor([[[1.0]], [[0.5]], [[0.0]]])
    grey = transforms.Grayscale(num_output_channels=3)(rgb)
    np.testing.assert_allclose(_values(grey), np.full((3, 1, 1), 0.2989 + 0.587 * 0.5), rtol=1e-6)
    colour = Image.fromarray(np.array([[[200, 100, 50]]], dtype=np.uint8))
    assert np.array_equal(np.asarray(transforms.Grayscale()(colour)), np.asarray(colour.convert("L")))


# --- datasets ------------------------------------------------------------------------------------------------

def _idx(array, gz):
    array = np.asarray(array, dtype=np.uint8)
    raw = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    return gzip.compress(raw) if gz else raw


@pytest.mark.parametrize("cls, folder, gz", [(datasets.MNIST, "MNIST", True), (datasets.FashionMNIST, "FashionMNIST", False)])
def test_mnist_reads_torchvisions_layout_and_gives_pil_images(tmp_path, cls, folder, gz):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    suffix = ".gz" if gz else ""
    (raw / f"t10k-images-idx3-ubyte{suffix}").write_bytes(_idx(images, gz))
    (raw / f"t10k-labels-idx1-ubyte{suffix}").write_bytes(_idx([7, 2, 1], gz))
    test = cls(str(tmp_path), train=False)
    assert len(test) == 3 and test.data.shape == (3, 28, 28) and test.targets.tolist() == [7, 2, 1]
    image, label = test[1]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    assert label == 2 and type(label) is int
    assert np.array_equal(np.asarray(image), images[1])
    with_transforms = cls(str(tmp_path), train=False, transform=transforms.ToTensor(),
                          target_transform=lambda y: y + 100)
    x, y = with_transforms[0]
    assert x.shape == (1, 28, 28) and y == 107
    np.testing.assert_allclose(_values(x)[0], images[0] / 255, rtol=1e-6)
    xs, ys = next(iter(bp.data.DataLoader(with_transforms, batch_size=3)))
    assert xs.shape == (3, 1, 28, 28) and ys.tolist() == [107, 102, 101]
    with pytest.raises(Exception, match="train-images"):  # the training files are not there
        cls(str(tmp_path), train=True)


def test_mnist_download_lands_in_torchvisions_layout_after_the_checksum(tmp_path, monkeypatch):
    from backprop.data import download

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    files = {"t10k-images-idx3-ubyte.gz": _idx(np.zeros((2, 28, 28)), True),
             "t10k-labels-idx1-ubyte.gz": _idx([5, 6], True)}
    for name, content in files.items():
        (mirror / name).write_bytes(content)
    monkeypatch.setitem(download.MIRRORS, "mnist", [mirror.as_uri() + "/"])
    monkeypatch.setitem(download.SHA256, "mnist", {n: hashlib.sha256(c).hexdigest() for n, c in files.items()})
    test = datasets.MNIST(str(tmp_path / "data"), train=False, download=True)
    assert test.targets.tolist() == [5, 6]
    assert sorted(p.name for p in (tmp_path / "data" / "MNIST" / "raw").iterdir()) == sorted(files)
    monkeypatch.setitem(download.SHA256, "mnist", {n: "0" * 64 for n in files})
    with pytest.raises(OSError, match="corrupted"):
        datasets.MNIST(str(tmp_path / "other"), train=False, download=True)


def test_cifar10_reads_the_python_batches(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    data = np.random.default_rng(0).integers(0, 256, (4, 3072), dtype=np.uint8)
    with open(folder / "test_batch", "wb") as file:
        pickle.dump({b"data": data, b"labels": [3, 1, 4, 1]}, file, protocol=2)
    test = datasets.CIFAR10(root=str(tmp_path), train=False, transform=transforms.ToTensor())
    assert len(test) == 4 and test.data.shape == (4, 32, 32, 3) and test.targets == [3, 1, 4, 1]
    assert test.classes[3] == "cat" and test.class_to_idx["cat"] == 3
    x, y = test[2]
    assert x.shape == (3, 32, 32) and y == 4
    np.testing.assert_allclose(_values(x), data[2].reshape(3, 32, 32) / 255, rtol=1e-6)  # 1024 R, G, B values
    image, _ = datasets.CIFAR10(root=str(tmp_path), train=False)[2]
    assert image.mode == "RGB" and np.array_equal(np.asarray(image), data[2].reshape(3, 32, 32).transpose(1, 2, 0))


# --- make_grid and save_image ---------------------------------------------------------------------------------

def test_make_grid_tiles_nrow_images_per_row_with_padding():
    images = bp.tensor(np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1, 1) * np.ones((3, 1, 2, 2)))
    grid = _values(utils.make_grid(images, nrow=2, padding=1, pad_value=0.5))
    # cells of (2 + 1) pixels, 2 per row, 2 rows, one more pixel of padding: 3 x 7 x 7, grey repeated to 3 channels
    p = 0.5
    row_images = [p, 1, 1, p, 2, 2, p]
    row_last = [p, 3, 3, p, p, p, p]
    pad = [p] * 7
    expected = np.array([pad, row_images, row_images, pad, row_last, row_last, pad])
    assert grid.shape == (3, 7, 7)
    for channel in grid:
        np.testing.assert_array_equal(channel, expected)


def test_make_grid_normalize_and_single_image():
    images = bp.tensor([[[[0.0, 2.0]]], [[[4.0, 4.0]]]])  # (2, 1, 1, 2)
    grid = _values(utils.make_grid(images, padding=0, normalize=True))  # (x - 0) / 4 over the whole batch
    np.testing.assert_allclose(grid[0], [[0.0, 0.5, 1.0, 1.0]])
    each = _values(utils.make_grid(images, padding=0, normalize=True, scale_each=True))
    np.testing.assert_allclose(each[0], [[0.0, 1.0, 0.0, 0.0]])  # the second image is constant: 0 / 1e-5
    ranged = _values(utils.make_grid(images, padding=0, normalize=True, value_range=(1.0, 3.0)))
    np.testing.assert_allclose(ranged[0], [[0.0, 0.5, 1.0, 1.0]])  # clamped to [1, 3] first
    one = utils.make_grid(bp.ones(1, 2, 2), padding=5)  # one image: no frame, three channels
    assert one.shape == (3, 2, 2)
    assert utils.make_grid([bp.zeros(1, 2, 2)] * 3, nrow=3, padding=0).shape == (3, 2, 6)


def test_save_image_writes_the_grid_as_png(tmp_path):
    images = bp.tensor([[[[0.0, 0.5]]], [[[1.0, 0.2]]]])
    path = tmp_path / "grid.png"
    utils.save_image(images, str(path), padding=0)
    saved = np.asarray(Image.open(path))
    # pixel = uint8(255 x + 0.5): 0.5 -> 128, 0.2 -> 51
    assert saved.shape == (1, 4, 3) and saved[..., 0].tolist() == [[0, 128, 255, 51]]
