//! Colours for a scene: the sky and light source come from the lighting guess, the ground and
//! accents from the mood. Pure data and small colour arithmetic.

/// An opaque colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Linear mix: `t = 0` is `self`, `t = 1` is `other`.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let lerp = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb(
            lerp(self.0, other.0),
            lerp(self.1, other.1),
            lerp(self.2, other.2),
        )
    }

    pub fn color(self, alpha: f32) -> tiny_skia::Color {
        let a = (alpha.clamp(0.0, 1.0) * 255.0).round() as u8;
        tiny_skia::Color::from_rgba8(self.0, self.1, self.2, a)
    }
}

/// The light in the sky.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Sun,
    Moon,
    Candle,
    Veiled,
}

/// Everything the painter needs to colour a scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub sky_top: Rgb,
    pub sky_bottom: Rgb,
    pub ground_near: Rgb,
    pub ground_far: Rgb,
    pub light: Light,
    pub light_color: Rgb,
    /// Clothes, roofs and other details.
    pub accent: Rgb,
    /// Figures and silhouettes.
    pub figure: Rgb,
    /// How bright lit windows and highlights are, 0..1.
    pub glow: f32,
}

/// Sky colours and light per lighting phrase.
fn sky(lighting: &str) -> (Rgb, Rgb, Light, Rgb, f32) {
    let l = lighting.to_lowercase();
    if l.contains("moon") || l.contains("night") {
        (
            Rgb(10, 16, 44),
            Rgb(44, 58, 110),
            Light::Moon,
            Rgb(236, 236, 214),
            0.9,
        )
    } else if l.contains("candle") || l.contains("fire") {
        (
            Rgb(40, 20, 16),
            Rgb(120, 62, 30),
            Light::Candle,
            Rgb(255, 190, 90),
            1.0,
        )
    } else if l.contains("evening") || l.contains("sunset") || l.contains("golden") {
        (
            Rgb(70, 60, 130),
            Rgb(250, 160, 80),
            Light::Sun,
            Rgb(255, 214, 120),
            0.6,
        )
    } else if l.contains("overcast") || l.contains("grey") || l.contains("rain") {
        (
            Rgb(110, 118, 130),
            Rgb(180, 186, 192),
            Light::Veiled,
            Rgb(225, 228, 230),
            0.3,
        )
    } else if l.contains("morning") {
        (
            Rgb(120, 170, 230),
            Rgb(250, 214, 170),
            Light::Sun,
            Rgb(255, 240, 190),
            0.2,
        )
    } else {
        (
            Rgb(90, 150, 220),
            Rgb(200, 226, 246),
            Light::Sun,
            Rgb(255, 246, 200),
            0.1,
        )
    }
}

/// Ground and accent colours per mood.
fn land(mood: &str) -> (Rgb, Rgb, Rgb) {
    match mood.to_lowercase().as_str() {
        "joyful" => (Rgb(96, 170, 72), Rgb(150, 200, 110), Rgb(226, 70, 90)),
        "tense" => (Rgb(70, 70, 52), Rgb(110, 100, 80), Rgb(180, 30, 30)),
        "melancholy" => (Rgb(60, 80, 86), Rgb(100, 120, 126), Rgb(90, 100, 150)),
        "romantic" => (Rgb(110, 150, 90), Rgb(170, 190, 140), Rgb(210, 90, 140)),
        "mysterious" => (Rgb(40, 60, 64), Rgb(70, 90, 100), Rgb(120, 80, 160)),
        "peaceful" => (Rgb(90, 150, 80), Rgb(150, 190, 130), Rgb(70, 120, 190)),
        _ => (Rgb(90, 140, 76), Rgb(140, 176, 120), Rgb(150, 70, 50)),
    }
}

/// The palette for a mood and lighting guess.
pub fn palette(mood: &str, lighting: &str) -> Palette {
    let (sky_top, sky_bottom, light, light_color, glow) = sky(lighting);
    let (ground_near, ground_far, accent) = land(mood);
    // Darken the land as the sky darkens so night scenes read as night.
    let dusk = match light {
        Light::Moon => 0.65,
        Light::Candle => 0.55,
        Light::Veiled => 0.25,
        Light::Sun => 0.0,
    };
    let shade = Rgb(8, 10, 20);
    Palette {
        sky_top,
        sky_bottom,
        ground_near: ground_near.mix(shade, dusk),
        ground_far: ground_far.mix(sky_bottom, 0.35).mix(shade, dusk),
        light,
        light_color,
        accent: accent.mix(shade, dusk * 0.5),
        figure: Rgb(34, 28, 36).mix(light_color, 0.1),
        glow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lighting_picks_the_light_source() {
        assert_eq!(palette("calm", "moonlit night").light, Light::Moon);
        assert_eq!(palette("calm", "warm candlelight").light, Light::Candle);
        assert_eq!(palette("calm", "soft daylight").light, Light::Sun);
    }

    #[test]
    fn moods_change_the_ground() {
        assert_ne!(
            palette("joyful", "x").ground_near,
            palette("tense", "x").ground_near
        );
    }
}
