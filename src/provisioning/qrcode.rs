//! The provisioning link as a PNG QR code, for Linphone's scanner.

use std::io::Cursor;

use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};

/// Smallest side of the image, in pixels: readable from a screen or paper.
pub const MIN_SIDE_PX: u32 = 300;

/// A PNG of `text`, with error correction H (survives a logo or a smudge)
/// and the standard quiet zone around it.
pub fn png(text: &str) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::H)?;
    let image = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .min_dimensions(MIN_SIDE_PX, MIN_SIDE_PX)
        .build();
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_is_large_enough_and_decodes_to_the_text() {
        let text = "https://flexiapi.example.org/provisioning/abcdefghij123";
        let bytes = png(text).unwrap();
        let image = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert!(image.width() >= MIN_SIDE_PX && image.height() >= MIN_SIDE_PX);
        // The quiet zone: the border is white.
        assert_eq!(image.get_pixel(0, 0).0, [255]);
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            image.width() as usize,
            image.height() as usize,
            |x, y| image.get_pixel(x as u32, y as u32).0[0],
        );
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (meta, content) = grids[0].decode().unwrap();
        assert_eq!(content, text);
        assert_eq!(meta.ecc_level, 2, "error correction H");
    }
}
