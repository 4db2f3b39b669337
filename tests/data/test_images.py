"""backprop.data.images.load_image on images as users have them; every image is made here with Pillow."""
import struct
import warnings
import zlib

import numpy as np
import pytest

import backprop as bp
from backprop.data import images

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

SEVEN = [(0.2, 0.15), (0.8, 0.15), (0.45, 0.9)]   # a "7" as a polyline in a unit box


def _seven(size=(300, 300), box=(40, 30, 160, 190), width=3, ink=0, paper=255, mode="L"):
    """A 7 drawn with ``width``-pixel lines in ``box`` (left, top, width, height) of a canvas of ``size``."""
    image = Image.new(mode, size, paper)
    left, top, w, h = box
    ImageDraw.Draw(image).line([(left + x * w, top + y * h) for x, y in SEVEN], fill=ink, width=width)
    return image


def _save(image, path, **options):
    image.save(path, **options)
    return str(path)


def _mass_centre(array):
    rows, columns = np.indices(array.shape)
    return (rows * array).sum() / array.sum(), (columns * array).sum() / array.sum()


def _box(mask):
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8), (1, 16, 16), (3, 32, 32)])
def test_a_dark_digit_on_a_transparent_png_is_the_digit_on_white_paper(tmp_path, shape):
    transparent = _seven(mode="RGBA", ink=(20, 20, 90, 255), paper=(0, 0, 0, 0))   # transparent black, as editors
    white = _seven(mode="RGB", ink=(20, 20, 90), paper=(255, 255, 255))
    on_white = images.load_image(_save(white, tmp_path / "white.png"), shape)
    loaded = images.load_image(_save(transparent, tmp_path / "transparent.png"), shape)
    assert loaded.shape == shape and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, on_white)
    if shape in [(1, 28, 28), (1, 8, 8)]:   # light ink on a dark ground, as in the data (alpha dropped: blank)
        assert loaded.max() == pytest.approx(1.0) and np.median(loaded) == 0


def test_a_light_digit_on_a_transparent_png_is_the_digit_on_black(tmp_path):
    transparent = _seven(mode="LA", ink=(255, 255), paper=(255, 0))   # transparent *white*: only alpha tells
    black = _seven(ink=255, paper=0)
    for shape in [(1, 28, 28), (1, 8, 8)]:
        np.testing.assert_array_equal(images.load_image(_save(transparent, tmp_path / "t.png"), shape),
                                      images.load_image(_save(black, tmp_path / "b.png"), shape))


def test_half_transparent_edges_are_composited_like_grey_ink(tmp_path):
    alpha = np.zeros((40, 40), np.uint8)
    alpha[10:30, 18:22] = 255
    alpha[10:30, 17] = alpha[10:30, 22] = 128                      # anti-aliased edges
    rgba = np.dstack([np.zeros((40, 40, 3), np.uint8), alpha])
    grey = 255 - alpha                                              # the same on white paper
    shape = (1, 40, 40)                                             # no recipe: the composite itself
    loaded = images.load_image(_save(Image.fromarray(rgba, "RGBA"), tmp_path / "a.png"), shape)
    np.testing.assert_allclose(loaded, images.load_image(_save(Image.fromarray(grey), tmp_path / "g.png"), shape),
                               atol=1e-6)
    assert loaded[0, 20, 17] == pytest.approx(128 / 255)


def test_palette_images_with_and_without_a_transparent_entry(tmp_path):
    rgb = _seven(mode="RGB", ink=(150, 0, 0), paper=(250, 240, 200))   # red ink on cream paper
    palette = rgb.quantize(colors=4)
    assert palette.mode == "P"
    for shape in [(1, 28, 28), (3, 32, 32)]:
        np.testing.assert_allclose(images.load_image(_save(palette, tmp_path / "p.png"), shape),
                                   images.load_image(_save(rgb, tmp_path / "rgb.png"), shape), atol=1e-6)
    # palette index 0 transparent (PNG's tRNS chunk): the dark ink is then laid on white
    ink = np.asarray(_seven(ink=255, paper=0)) > 0
    indexed = Image.fromarray(ink.astype(np.uint8), "P")
    indexed.putpalette([0, 0, 0, 30, 30, 30])
    path = _save(indexed, tmp_path / "trns.png", transparency=0)
    assert "transparency" in Image.open(path).info
    white = _seven(mode="RGB", ink=(30, 30, 30), paper=(255, 255, 255))
    np.testing.assert_array_equal(images.load_image(path, (1, 28, 28)),
                                  images.load_image(_save(white, tmp_path / "w.png"), (1, 28, 28)))


def test_16_bit_greyscale_keeps_its_range(tmp_path):
    eight = np.asarray(_seven(ink=40, paper=230), np.uint16)
    sixteen = Image.fromarray(eight * 257)                       # v / 255 == 257 v / 65535
    path = _save(sixteen, tmp_path / "16.png")
    assert Image.open(path).mode.startswith("I")
    for shape in [(1, 28, 28), (1, 8, 8), (1, 50, 50)]:
        np.testing.assert_allclose(images.load_image(path, shape),
                                   images.load_image(_save(Image.fromarray(eight.astype(np.uint8)),
                                                           tmp_path / "8.png"), shape), atol=1e-5)


def test_an_exif_rotated_jpeg_comes_back_upright(tmp_path):
    upright = Image.new("RGB", (120, 60), (255, 255, 255))        # wide, a dark block at the top left
    ImageDraw.Draw(upright).rectangle([5, 5, 40, 25], fill=(0, 0, 0))
    stored = upright.transpose(Image.Transpose.ROTATE_90)         # the camera's sensor held sideways
    exif = Image.Exif()
    exif[0x0112] = 6                                              # orientation: rotate 90 degrees clockwise to view
    path = _save(stored, tmp_path / "phone.jpg", exif=exif, quality=95)
    plain = _save(upright, tmp_path / "upright.png")
    loaded = images.load_image(path, (3, 60, 120))
    expected = images.load_image(plain, (3, 60, 120))
    assert np.abs(loaded - expected).mean() < 0.02               # JPEG's loss only
    assert loaded[:, 10:20, 10:30].max() < 0.2 and loaded[:, 40:, 80:].min() > 0.8


@pytest.mark.parametrize("exif", [b"Exif\0\0II*\0\xff\xff\xff\x0f", b"Exif\0\0garbage"])
def test_a_damaged_exif_block_is_ignored_quietly(tmp_path, exif):
    image = _seven(mode="RGB", paper=(255, 255, 255), ink=(0, 0, 0))
    path = _save(image, tmp_path / "bad.jpg", exif=exif, quality=95)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = images.load_image(path, (1, 28, 28))
    np.testing.assert_array_equal(loaded, images.load_image(_save(image, tmp_path / "good.jpg", quality=95),
                                                            (1, 28, 28)))


def test_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (40, 40), (0, 0, 0, 0))              # no ink: white
    ImageDraw.Draw(cmyk).rectangle([10, 10, 29, 29], fill=(0, 0, 0, 255))
    loaded = images.load_image(_save(cmyk, tmp_path / "c.jpg", quality=95), (3, 40, 40))
    assert loaded[:, 15:25, 15:25].max() < 0.1 and loaded[:, :5].min() > 0.9


def test_a_6000_by_4000_photo_is_decoded_small(tmp_path):
    photo = _seven(size=(6000, 4000), box=(2000, 600, 1500, 2600), width=120)
    path = _save(photo.convert("RGB"), tmp_path / "big.jpg", quality=90)
    decoded = images._open(path)                                  # the decoder scaled it (draft), not us
    assert max(decoded.size) < 2 * images.WORK and decoded.size[0] * 4000 == decoded.size[1] * 6000
    small = _save(photo.resize((600, 400), Image.BOX), tmp_path / "small.png")
    for shape in [(1, 28, 28), (1, 8, 8)]:
        assert np.abs(images.load_image(path, shape) - images.load_image(small, shape)).max() < 0.2


def test_a_large_png_is_shrunk_right_after_decoding(tmp_path):
    path = _save(_seven(size=(4100, 2100), box=(1000, 200, 900, 1700), width=60), tmp_path / "big.png")
    assert max(images._open(path).size) < 2 * images.WORK
    digit = images.load_image(path, (1, 28, 28))[0]
    assert _box(digit > 0) == (20, pytest.approx(20 * 900 / 1700, abs=2))


def _png_header_only(path, width, height):
    """A PNG that declares width x height pixels of greyscale in a few bytes (a decompression bomb's header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = zlib.compress(b"\0" * (width + 1))   # one row; the rest is missing
    with open(path, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return str(path)


@pytest.mark.parametrize("side", [12_000, 30_000])   # below and above Pillow's own limit (about 179 megapixels)
def test_an_absurdly_large_image_is_refused_in_one_line_without_decoding(tmp_path, side):
    path = _png_header_only(tmp_path / "bomb.png", side, side)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                           # no DecompressionBombWarning either
        with pytest.raises(ValueError) as error:
            images.load_image(path, (1, 28, 28))
    message = str(error.value)
    assert "\n" not in message and "bomb.png" in message and "too large" in message


@pytest.mark.parametrize("content", [b"digit: 7\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b""])
def test_a_file_that_is_not_an_image_is_one_line_naming_it(tmp_path, content):
    path = tmp_path / "notes.png"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        images.load_image(str(path), (1, 28, 28))
    message = str(error.value)
    assert "\n" not in message and "notes.png" in message and "not an image file (expected a PNG, JPEG" in message


def test_a_truncated_image_is_one_line_naming_it(tmp_path):
    data = open(_save(_seven(), tmp_path / "whole.png"), "rb").read()
    path = tmp_path / "cut.png"
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r"^'.*cut\.png' could not be read as an image \(") as error:
        images.load_image(str(path), (1, 28, 28))
    assert "\n" not in str(error.value)


def test_an_off_centre_thin_digit_is_normalised_as_mnist_was(tmp_path):
    # a 1-pixel 7, 120 x 160 pixels, in the top-left corner of a 640 x 480 drawing
    path = _save(_seven(size=(640, 480), box=(10, 5, 120, 160), width=1), tmp_path / "thin.png")
    digit = images.load_image(path, (1, 28, 28))[0]
    y, x = _mass_centre(digit)
    assert abs(y - 13.5) <= 0.5 and abs(x - 13.5) <= 0.5
    assert max(_box(digit > 0)) == 20                             # the longer side of the box: 20 pixels
    assert digit.max() == 1.0
    # MNIST's strokes are 2 to 3 pixels wide; a 1-pixel pen over 160 pixels scaled to 20 would be an eighth of
    # a pixel. Width = ink / length, the length of the 7's two strokes in the 20-pixel box (120 x 160 -> 15 x 20)
    length = sum(np.hypot((x1 - x0) * 15, (y1 - y0) * 20) for (x0, y0), (x1, y1) in zip(SEVEN, SEVEN[1:]))
    assert 2 <= digit.sum() / length <= 3


def test_an_off_centre_digit_is_normalised_as_the_uci_digits_were(tmp_path):
    path = _save(_seven(size=(640, 480), box=(400, 250, 100, 200), width=2), tmp_path / "thin.png")
    digit = images.load_image(path, (1, 8, 8))[0]
    counts = digit * 16
    np.testing.assert_array_equal(counts, np.round(counts))     # counts of a 32 x 32 bitmap in 4 x 4 blocks
    assert _box(digit > 0)[0] == 8                               # the full height, as every stored digit
    assert 3 <= _mass_centre(digit)[1] <= 4.5                    # centred (the data's mean is 3.5 +- 0.3)


def test_the_same_drawing_anywhere_on_any_canvas_gives_the_same_array(tmp_path):
    first = _save(_seven(size=(300, 300), box=(10, 10, 120, 160), width=2), tmp_path / "a.png")
    second = _save(_seven(size=(800, 500), box=(500, 300, 120, 160), width=2, mode="RGBA", ink=(0, 0, 0, 255),
                          paper=(255, 255, 255, 0)), tmp_path / "b.png")
    for shape in [(1, 28, 28), (1, 8, 8)]:
        np.testing.assert_array_equal(images.load_image(first, shape), images.load_image(second, shape))


def test_dust_apart_from_the_digit_does_not_move_or_shrink_it(tmp_path, monkeypatch):
    clean = _seven(size=(400, 300), box=(150, 60, 100, 160), width=3)
    dusty = clean.copy()
    draw = ImageDraw.Draw(dusty)
    for x, y in [(5, 5), (390, 290), (200, 2), (20, 150)]:           # specks at the edges, apart from the 7
        draw.rectangle([x, y, x + 2, y + 2], fill=0)
    for shape in [(1, 28, 28), (1, 8, 8)]:
        np.testing.assert_array_equal(images.load_image(_save(dusty, tmp_path / "d.png"), shape),
                                      images.load_image(_save(clean, tmp_path / "c.png"), shape))
    # a detached part of a digit is no dust: a 5 whose top bar does not touch the rest
    five = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(five)
    draw.line([(60, 30), (140, 30)], fill=0, width=3)
    draw.line([(60, 45), (60, 90), (140, 100), (140, 160), (55, 165)], fill=0, width=3)
    # nor is a bit of stroke where the pen skipped, near the rest (4 pixels below the end of a 1's stroke)
    one = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(one)
    draw.line([(100, 20), (100, 160)], fill=0, width=3)
    draw.line([(100, 165), (100, 170)], fill=0, width=3)
    paths = [_save(five, tmp_path / "5.png"), _save(one, tmp_path / "1.png")]
    kept = [images.load_image(path, (1, 28, 28)) for path in paths]
    monkeypatch.setattr(images, "SPECK", 0.0)
    for path, array in zip(paths, kept):
        np.testing.assert_array_equal(array, images.load_image(path, (1, 28, 28)))


def test_a_file_of_the_input_size_is_taken_as_it_is(tmp_path):
    image = bp.data.digits(train=False)[0][0].numpy()[0]
    path = _save(Image.fromarray(np.round(image * 255).astype(np.uint8)), tmp_path / "digit.png")
    np.testing.assert_allclose(images.load_image(path, (1, 8, 8))[0], image, atol=0.5 / 255)
    normalised = images.load_image(path, (1, 8, 8), normalise=True)[0]
    assert _box(normalised > 0)[0] == 8


def test_invert_and_normalise_options(tmp_path):
    path = _save(_seven(size=(200, 200), box=(20, 20, 100, 150)), tmp_path / "ink.png")
    plain = images.load_image(path, (1, 28, 28), normalise=False)[0]
    np.testing.assert_allclose(plain, 1 - images.load_image(path, (1, 28, 28), invert=False, normalise=False)[0],
                               atol=1e-6)
    assert np.median(plain) == 0                                  # paper became the dark ground
    photo = Image.new("RGB", (64, 64), (230, 230, 240))            # a bright photo is not ink on paper
    colour = images.load_image(_save(photo, tmp_path / "snow.png"), (3, 32, 32))
    assert colour.min() > 0.85
    assert images.load_image(tmp_path / "snow.png", (3, 32, 32), invert=True).max() < 0.15
    fashion = images.load_image(path, (1, 28, 28), normalise="fashion_mnist")[0]
    assert _box(fashion > 0.05)[0] == 28                           # Fashion-MNIST fills the frame
    np.testing.assert_array_equal(images.load_image(path, (1, 28, 28), dataset="fashion_mnist")[0], fashion)
    np.testing.assert_array_equal(images.load_image(path, (1, 28, 28), dataset="mnist"),
                                  images.load_image(path, (1, 28, 28)))
    unknown = images.load_image(path, (1, 28, 28), dataset="emnist")        # no recipe: resized
    np.testing.assert_array_equal(unknown[0], plain)
    with pytest.raises(ValueError, match="normalise=True needs MNIST, Fashion-MNIST or the 8x8 digits"):
        images.load_image(path, (3, 32, 32), normalise=True, dataset="cifar10")
    with pytest.raises(ValueError, match="normalise must be None, True, False or one of mnist, digits"):
        images.load_image(path, (1, 28, 28), normalise="emnist")
    with pytest.raises(ValueError, match=r"normalise='digits' makes \(1, 8, 8\) images, but the input is"):
        images.load_image(path, (1, 28, 28), normalise="digits")
    with pytest.raises(ValueError, match="1 or 3 channels"):
        images.load_image(path, (2, 28, 28))


def _thin(masks):
    """Zhang and Suen's thinning of a stack of boolean images: the strokes as lines one pixel wide."""
    m = np.pad(masks, ((0, 0), (1, 1), (1, 1)))
    around = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]   # P2 .. P9, clockwise
    while True:
        removed = False
        for first in (True, False):
            p = [np.roll(m, (-dy, -dx), axis=(1, 2)) for dy, dx in around]
            neighbours = sum(q.astype(np.int8) for q in p)
            crossings = sum((~p[i] & p[(i + 1) % 8]).astype(np.int8) for i in range(8))
            if first:
                keep_end = (p[0] & p[2] & p[4]) | (p[2] & p[4] & p[6])
            else:
                keep_end = (p[0] & p[2] & p[6]) | (p[0] & p[4] & p[6])
            remove = m & (neighbours >= 2) & (neighbours <= 6) & (crossings == 1) & ~keep_end
            if remove.any():
                m &= ~remove
                removed = True
        if not removed:
            return m[:, 1:-1, 1:-1]


def test_test_digits_drawn_off_centre_on_a_transparent_canvas_are_still_recognised(tmp_path):
    """The test set's digits drawn at 80 x 80 pixels, with their own strokes and with 1-pixel lines, at
    various places of a 240 x 180 transparent canvas, read by load_image for an MLP trained on the 8x8 digits."""
    bp.manual_seed(0)
    train, test = bp.data.digits(), bp.data.digits(train=False)
    x = bp.tensor(train.data.reshape(-1, 64).astype(np.float32) / 16)
    net = bp.nn.Sequential(bp.nn.Linear(64, 64), bp.nn.ReLU(), bp.nn.Linear(64, 10))
    optimizer = bp.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(150):                                          # full batch
        optimizer.zero_grad()
        bp.nn.functional.cross_entropy(net(x), bp.tensor(train.targets)).backward()
        optimizer.step()

    def accuracy(arrays):
        with bp.no_grad():
            predicted = net(bp.tensor(np.asarray(arrays).reshape(-1, 64))).numpy().argmax(1)
        return (predicted == test.targets[:len(predicted)]).mean()

    def drawn(masks, name, **options):
        arrays = []
        for i, mask in enumerate(masks):
            canvas = np.zeros((180, 240, 4), np.uint8)            # transparent black
            canvas[..., 2] = 80                                   # dark blue ink
            top, left = (i * 37) % 100, (i * 53) % 160
            canvas[top:top + 80, left:left + 80, 3] = mask * 255
            path = _save(Image.fromarray(canvas, "RGBA"), tmp_path / f"{name}.png")
            arrays.append(images.load_image(path, (1, 8, 8), **options))
        return accuracy(arrays)

    originals = test.data.astype(np.float32) / 16
    strokes = np.stack([np.asarray(Image.fromarray(image[0]).resize((80, 80), Image.BICUBIC))
                        for image in originals]) > 0.5             # the 32 x 32 bitmaps, 2.5 times as large
    clean = accuracy(originals)
    assert clean > 0.93
    # Drawn with the data's own strokes, a digit comes back through crop, scale and 4x4 counts: the box is
    # re-fitted to 20 x 32 where the writer's proportions had moved it a little (a 0 is 19.5 +- 1.4 pixels
    # wide), and the counts re-quantised. At most 5 more errors in 100 than on the stored arrays.
    assert drawn(strokes, "thick") >= clean - 0.05
    # Thinned to 1-pixel lines (Zhang-Suen) the copy itself is lossy: stroke ends shorten by half a stroke
    # width and short bars (the top of a 5, the foot of a 1) may vanish. Re-thickened, at most 10 more errors in
    # 100. Resizing alone (the loader before) leaves the model near chance.
    thin = _thin(strokes)
    assert drawn(thin, "thin") >= clean - 0.10
    assert drawn(thin[:100], "resized", normalise=False) < 0.5
